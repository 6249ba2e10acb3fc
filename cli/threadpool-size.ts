/**
 * DuckDB's calls, file reads and hashing share libuv's thread pool, 4 threads unless
 * UV_THREADPOOL_SIZE says otherwise. A writer keeps its DuckDB connections busy with
 * transactions, and a search's short reads (the graph's linked entities of its hits) would
 * wait behind them: ~100 ms per search while ingesting. The pool starts at its first use,
 * so this is the CLI's first import.
 */
process.env.UV_THREADPOOL_SIZE ??= '16';

import type { FastifyInstance } from 'fastify';

export interface RegisteredRoute {
  method: string;
  url: string;
}

/**
 * Every route a ready Fastify app serves, read from `printRoutes()` (Fastify has no route
 * list): each line is a radix-tree node whose text continues its parent's, with the
 * methods of a route in parentheses. HEAD routes (added for each GET) are left out.
 */
export function registeredRoutes(app: FastifyInstance): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes().split('\n')) {
    const m = /^((?:[│ ] {3})*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    stack.length = depth;
    stack.push(m[2]!);
    for (const method of m[3]?.split(', ') ?? [])
      if (method !== 'HEAD') routes.push({ method, url: stack.join('') });
  }
  return routes;
}

/**
 * Whether a Fastify URL is the OpenAPI path: `:name` is `{name}`, and a wildcard `*`
 * stands for the documented parameters that end the path.
 */
export function routeMatchesPath(url: string, path: string): boolean {
  const param = String.raw`\{[^/{}]+\}`;
  const pattern = url
    .split('/')
    .map((seg) => {
      if (seg === '*') return `${param}(?:/${param})*`;
      if (seg.startsWith(':')) return `\\{${seg.slice(1)}\\}`;
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return new RegExp(`^${pattern}$`).test(path);
}

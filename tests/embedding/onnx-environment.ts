import NodeEnvironment from 'jest-environment-node';

/**
 * Jest runs a test file in its own V8 context, whose Float32Array is not the one
 * onnxruntime-node's native addon creates its output tensors with, so
 * onnxruntime-common's `instanceof` check fails ("A float32 tensor's data must be
 * type of Float32Array"). This environment hands the test context the typed-array
 * constructors of the outer realm. Use with `@jest-environment ./tests/embedding/onnx-environment.ts`.
 */
export default class OnnxEnvironment extends NodeEnvironment {
  constructor(...args: ConstructorParameters<typeof NodeEnvironment>) {
    super(...args);
    Object.assign(this.global, {
      ArrayBuffer,
      Float32Array,
      Float64Array,
      Int8Array,
      Uint8Array,
      Int16Array,
      Uint16Array,
      Int32Array,
      Uint32Array,
      BigInt64Array,
      BigUint64Array,
    });
  }
}

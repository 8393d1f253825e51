// The WebAssembly JS API (V8 provides it in every isolate); lib ES2022 does not declare it.
declare namespace WebAssembly {
  class Module {
    static imports(module: Module): Array<{ module: string; name: string; kind: string }>;
  }
  class Memory {
    constructor(descriptor: { initial: number; maximum?: number });
    readonly buffer: ArrayBuffer;
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  type Imports = Record<string, Record<string, unknown>>;
  class Global {
    value: unknown;
  }
}

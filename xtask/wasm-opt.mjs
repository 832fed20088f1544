// `wasm-opt -Oz` over many modules in one process: npm's binaryen is
// binaryen compiled to JS, and each `bin/wasm-opt` run spends about half a
// second starting it, which for an app split into hundreds of chunks was
// most of the build. Same passes as the command (optimize level 2, shrink
// level 2, the default pipeline) with the features the apps are built for.
// Usage: node xtask/wasm-opt.mjs MODULE... (each rewritten in place).
import binaryen from "binaryen";
import { readFileSync, writeFileSync } from "node:fs";

// The command's --enable-bulk-memory also enables bulk-memory-opt and
// call-indirect-overlong (binaryen's tool-options.h); so does this.
const F = binaryen.Features;
const features =
  F.MVP | F.BulkMemory | F.BulkMemoryOpt | F.CallIndirectOverlong | F.ReferenceTypes |
  F.NontrappingFPToInt | F.SignExt | F.Multivalue | F.MutableGlobals;
binaryen.setOptimizeLevel(2);
binaryen.setShrinkLevel(2);
binaryen.setGenerateStackIR(true);
binaryen.setOptimizeStackIR(true);
for (const file of process.argv.slice(2)) {
  try {
    const module = binaryen.readBinary(readFileSync(file), features);
    module.optimize();
    if (!module.validate()) {
      throw new Error("the module does not validate after optimising");
    }
    writeFileSync(file, module.emitBinary());
    module.dispose();
  } catch (e) {
    console.error(`wasm-opt: ${file}: ${e.message ?? e}`);
    process.exit(1);
  }
}

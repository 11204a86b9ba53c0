// A stand-in sandbox process that fails as it loads, with its own absolute path in the error.
throw new Error(`cannot load ${__filename} from ${process.cwd()}`);

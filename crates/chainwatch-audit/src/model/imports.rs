//! What a pickle's imports mean: the functions and classes an ordinary checkpoint or
//! estimator needs, the libraries whose classes such files name, and what runs commands,
//! code, files or the network when a pickle calls it.
//!
//! The lists are ours, written from what PyTorch, NumPy, joblib and scikit-learn write
//! and from the gadgets public model-scanner research and CVEs describe.

/// How an import is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Rebuilds tensors, arrays and plain containers: what `torch.save` and NumPy write.
    Safe,
    /// A class of a known machine-learning or data library (an estimator, a layer): a
    /// pickle of a whole object names them; nothing is reported.
    Library,
    /// Runs commands or code, reads or writes files, opens the network, or reaches any
    /// other function (`getattr`, `operator.attrgetter`): loading the file can do anything.
    Dangerous(&'static str),
    /// Neither: a class or function loading the file will import and may call.
    Unlisted,
}

/// Imports that rebuild tensors, arrays and containers.
const SAFE: &[(&str, &[&str])] = &[
    (
        "collections",
        &["OrderedDict", "defaultdict", "deque", "Counter"],
    ),
    (
        "builtins",
        &[
            "set",
            "frozenset",
            "bytearray",
            "slice",
            "range",
            "complex",
            "object",
            "tuple",
            "list",
            "dict",
            "int",
            "float",
            "bool",
            "str",
            "bytes",
        ],
    ),
    ("copyreg", &["_reconstructor"]),
    ("_codecs", &["encode"]),
    (
        "datetime",
        &["datetime", "date", "time", "timedelta", "timezone"],
    ),
    ("decimal", &["Decimal"]),
    ("fractions", &["Fraction"]),
    ("uuid", &["UUID"]),
    (
        "pathlib",
        &[
            "PosixPath",
            "WindowsPath",
            "PurePosixPath",
            "PureWindowsPath",
            "Path",
        ],
    ),
    ("argparse", &["Namespace"]),
    ("re", &["_compile"]),
    ("enum", &["Enum"]),
    (
        "torch._utils",
        &[
            "_rebuild_tensor",
            "_rebuild_tensor_v2",
            "_rebuild_tensor_v3",
            "_rebuild_parameter",
            "_rebuild_parameter_with_state",
            "_rebuild_qtensor",
            "_rebuild_sparse_tensor",
            "_rebuild_nested_tensor",
            "_rebuild_meta_tensor_no_storage",
            "_rebuild_wrapper_subclass",
            "_rebuild_device_tensor_from_numpy",
        ],
    ),
    (
        "torch._tensor",
        &["_rebuild_from_type_v2", "_rebuild_from_type"],
    ),
    (
        "torch",
        &[
            "Size",
            "device",
            "dtype",
            "layout",
            "memory_format",
            "finfo",
            "iinfo",
            "Tensor",
            "FloatStorage",
            "DoubleStorage",
            "HalfStorage",
            "BFloat16Storage",
            "LongStorage",
            "IntStorage",
            "ShortStorage",
            "CharStorage",
            "ByteStorage",
            "BoolStorage",
            "ComplexFloatStorage",
            "ComplexDoubleStorage",
            "QInt8Storage",
            "QUInt8Storage",
            "QInt32Storage",
            "UntypedStorage",
            "float32",
            "float64",
            "float16",
            "bfloat16",
            "int8",
            "int16",
            "int32",
            "int64",
            "uint8",
            "bool",
            "complex64",
            "complex128",
            "float8_e4m3fn",
            "float8_e5m2",
            "per_tensor_affine",
            "per_channel_affine",
            "strided",
            "sparse_coo",
            "contiguous_format",
            "channels_last",
            "preserve_format",
        ],
    ),
    (
        "torch.storage",
        &["_load_from_bytes", "TypedStorage", "UntypedStorage"],
    ),
    ("torch.serialization", &["_get_layout"]),
    ("torch.nn.parameter", &["Parameter"]),
    (
        "numpy.core.multiarray",
        &["_reconstruct", "scalar", "_frombuffer"],
    ),
    (
        "numpy._core.multiarray",
        &["_reconstruct", "scalar", "_frombuffer"],
    ),
    ("numpy.core.numeric", &["_frombuffer"]),
    ("numpy._core.numeric", &["_frombuffer"]),
    (
        "numpy",
        &["ndarray", "dtype", "core.multiarray._reconstruct"],
    ),
    ("numpy.ma.core", &["_mareconstruct", "MaskedArray"]),
    (
        "numpy.dtypes",
        &[
            "Float64DType",
            "Float32DType",
            "Float16DType",
            "Int64DType",
            "Int32DType",
            "Int16DType",
            "Int8DType",
            "UInt64DType",
            "UInt32DType",
            "UInt16DType",
            "UInt8DType",
            "BoolDType",
            "ObjectDType",
            "StrDType",
            "BytesDType",
            "Complex64DType",
            "Complex128DType",
        ],
    ),
    (
        "numpy.random._pickle",
        &[
            "__randomstate_ctor",
            "__bit_generator_ctor",
            "__generator_ctor",
        ],
    ),
    ("joblib.numpy_pickle", &["NumpyArrayWrapper"]),
    (
        "joblib.numpy_pickle_compat",
        &["NDArrayWrapper", "ZNDArrayWrapper"],
    ),
];

/// Libraries whose classes a pickled model or estimator names.
const LIBRARIES: &[&str] = &[
    "sklearn",
    "scipy",
    "pandas",
    "xgboost",
    "lightgbm",
    "catboost",
    "statsmodels",
    "transformers",
    "tokenizers",
    "sentence_transformers",
    "torchvision",
    "torchaudio",
    "timm",
    "tensorflow",
    "keras",
    "gensim",
    "spacy",
    "thinc",
    "fastai",
    "lightning",
    "pytorch_lightning",
    "peft",
    "accelerate",
    "diffusers",
    "tiktoken",
    "sentencepiece",
    "onnx",
];

/// Modules every function of which is dangerous to call from a pickle (and their
/// submodules), with why.
const DANGEROUS_MODULES: &[(&str, &str)] = &[
    ("os", "runs commands and touches files"),
    ("posix", "runs commands and touches files (`os` on Linux)"),
    ("nt", "runs commands and touches files (`os` on Windows)"),
    ("subprocess", "runs commands"),
    ("pty", "spawns a shell"),
    ("commands", "runs commands"),
    ("popen2", "runs commands"),
    ("platform", "runs commands (`platform.popen`)"),
    ("sys", "changes the interpreter (modules, hooks, exit)"),
    ("runpy", "runs Python modules and files"),
    ("code", "runs Python source"),
    ("codeop", "compiles Python source"),
    ("importlib", "imports any module"),
    ("imp", "imports any module"),
    ("zipimport", "imports modules from archives"),
    ("pkgutil", "resolves and imports any name"),
    ("marshal", "loads compiled code"),
    ("types", "builds functions and code objects"),
    ("ctypes", "calls native code and writes memory"),
    ("_ctypes", "calls native code and writes memory"),
    ("cffi", "calls native code"),
    ("pickle", "unpickles more data, past the scan"),
    ("_pickle", "unpickles more data, past the scan"),
    ("dill", "rebuilds arbitrary functions"),
    ("cloudpickle", "rebuilds arbitrary functions"),
    ("shelve", "unpickles more data"),
    ("socket", "opens network connections"),
    ("ssl", "opens network connections"),
    ("http", "opens network connections"),
    ("urllib", "fetches URLs"),
    ("urllib3", "fetches URLs"),
    ("requests", "fetches URLs"),
    ("httpx", "fetches URLs"),
    ("aiohttp", "fetches URLs"),
    ("ftplib", "opens network connections"),
    ("smtplib", "sends mail"),
    ("telnetlib", "opens network connections"),
    ("xmlrpc", "calls remote procedures"),
    ("asyncio", "runs subprocesses and opens connections"),
    ("multiprocessing", "starts processes"),
    ("threading", "starts threads running any callable"),
    ("_thread", "starts threads running any callable"),
    ("signal", "installs signal handlers"),
    ("shutil", "copies, moves and deletes files"),
    ("tempfile", "creates files"),
    ("io", "opens files"),
    ("_io", "opens files"),
    ("codecs", "opens files (`codecs.open`)"),
    ("fileinput", "reads files"),
    ("glob", "lists files"),
    ("webbrowser", "opens URLs in a browser"),
    ("pdb", "runs Python source"),
    ("bdb", "runs Python source"),
    ("pydoc", "imports any name and runs pagers"),
    ("timeit", "runs Python source"),
    ("cProfile", "runs Python source"),
    ("profile", "runs Python source"),
    ("trace", "runs Python source"),
    ("doctest", "runs Python source"),
    ("pip", "installs packages"),
    ("ensurepip", "installs packages"),
    ("venv", "creates environments and runs installers"),
    ("distutils", "writes files and runs commands"),
    ("setuptools", "runs build commands"),
    ("uuid", "runs commands (`uuid._get_command_stdout`)"),
    ("_osx_support", "runs commands"),
    ("_aix_support", "runs commands"),
    ("_pyrepl", "runs commands"),
    ("idlelib", "runs Python source"),
    ("lib2to3", "evaluates grammar files"),
    ("test", "spawns Python subprocesses"),
    ("numpy.f2py", "evaluates strings"),
    ("numpy.testing", "runs Python source"),
    ("numpy.distutils", "runs commands"),
    ("torch.hub", "downloads and runs code"),
    ("torch._inductor", "compiles and runs code"),
    (
        "torch.utils.cpp_extension",
        "compiles and loads native code",
    ),
    ("torch.utils.collect_env", "runs commands"),
    ("torch.jit", "compiles and runs code"),
    ("torch._dynamo", "evaluates guard code"),
];

/// Single dangerous functions of otherwise ordinary modules.
const DANGEROUS_NAMES: &[(&str, &str, &str)] = &[
    ("builtins", "eval", "evaluates Python source"),
    ("builtins", "exec", "runs Python source"),
    ("builtins", "execfile", "runs a Python file"),
    ("builtins", "compile", "compiles Python source"),
    ("builtins", "__import__", "imports any module"),
    (
        "builtins",
        "getattr",
        "reaches any attribute, such as `os.system`",
    ),
    ("builtins", "setattr", "changes any attribute"),
    ("builtins", "delattr", "deletes any attribute"),
    ("builtins", "globals", "reaches the interpreter's globals"),
    ("builtins", "locals", "reaches the interpreter's locals"),
    ("builtins", "vars", "reaches any object's namespace"),
    ("builtins", "open", "opens files"),
    ("builtins", "file", "opens files"),
    ("builtins", "input", "reads the terminal"),
    ("builtins", "breakpoint", "starts a debugger"),
    ("builtins", "apply", "calls any callable"),
    ("builtins", "reload", "reloads modules"),
    ("builtins", "help", "runs a pager"),
    ("operator", "attrgetter", "reaches any attribute"),
    ("operator", "methodcaller", "calls any method"),
    ("operator", "itemgetter", "reaches any item"),
    ("_operator", "attrgetter", "reaches any attribute"),
    ("_operator", "methodcaller", "calls any method"),
    ("_operator", "itemgetter", "reaches any item"),
    ("functools", "partial", "binds arguments to any callable"),
    ("functools", "reduce", "calls any callable"),
    ("logging", "FileHandler", "creates files"),
    (
        "logging.config",
        "listen",
        "runs configuration received over the network",
    ),
    ("torch", "load", "loads another pickle, past the scan"),
    (
        "torch.serialization",
        "load",
        "loads another pickle, past the scan",
    ),
    ("numpy", "load", "loads another pickle, past the scan"),
    (
        "numpy.lib.npyio",
        "load",
        "loads another pickle, past the scan",
    ),
    ("joblib", "load", "loads another pickle, past the scan"),
    (
        "joblib.numpy_pickle",
        "load",
        "loads another pickle, past the scan",
    ),
    (
        "pandas",
        "read_pickle",
        "loads another pickle, past the scan",
    ),
    (
        "pandas.io.pickle",
        "read_pickle",
        "loads another pickle, past the scan",
    ),
    (
        "keras.models",
        "load_model",
        "loads another model, past the scan",
    ),
];

fn under(module: &str, root: &str) -> bool {
    module == root
        || module
            .strip_prefix(root)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// Judges `module.name` as loading a pickle would import it.
pub fn classify(module: &str, name: &str) -> Class {
    // `find_class` resolves a dotted name attribute by attribute, so the first part is
    // what is imported from the module.
    if SAFE
        .iter()
        .any(|(m, names)| *m == module && names.contains(&name))
    {
        return Class::Safe;
    }
    let head = name.split('.').next().unwrap_or(name);
    for (m, why) in DANGEROUS_MODULES {
        if under(module, m) {
            return Class::Dangerous(why);
        }
    }
    for (m, n, why) in DANGEROUS_NAMES {
        if module == *m && (name == *n || head == *n) {
            return Class::Dangerous(why);
        }
    }
    // `__class__`, `__globals__`, `__builtins__`, `__subclasses__`: a walk from an
    // ordinary object to anything.
    if name
        .split('.')
        .any(|p| p.len() > 4 && p.starts_with("__") && p.ends_with("__"))
    {
        return Class::Dangerous("walks from an object to the interpreter's internals");
    }
    if name.contains('.') {
        // A dotted name reaches an attribute of an attribute.
        return Class::Unlisted;
    }
    if LIBRARIES.iter().any(|l| under(module, l))
        || (under(module, "torch") && !module.starts_with("torch._"))
    {
        return Class::Library;
    }
    Class::Unlisted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(classify("torch._utils", "_rebuild_tensor_v2"), Class::Safe);
        assert_eq!(classify("collections", "OrderedDict"), Class::Safe);
        assert_eq!(
            classify("sklearn.linear_model._logistic", "LogisticRegression"),
            Class::Library
        );
        assert_eq!(
            classify("torch.nn.modules.linear", "Linear"),
            Class::Library
        );
        assert!(matches!(classify("posix", "system"), Class::Dangerous(_)));
        assert!(matches!(classify("os.path", "join"), Class::Dangerous(_)));
        assert!(matches!(
            classify("builtins", "getattr"),
            Class::Dangerous(_)
        ));
        assert!(matches!(classify("builtins", "eval"), Class::Dangerous(_)));
        assert!(matches!(
            classify("builtins", "str.__class__"),
            Class::Dangerous(_)
        ));
        assert!(matches!(classify("torch.hub", "load"), Class::Dangerous(_)));
        assert!(matches!(classify("torch", "load"), Class::Dangerous(_)));
        assert!(matches!(
            classify("operator", "attrgetter"),
            Class::Dangerous(_)
        ));
        assert_eq!(classify("osmium", "read"), Class::Unlisted);
        assert_eq!(classify("mypackage.model", "Net"), Class::Unlisted);
        assert_eq!(classify("torch._C", "_nn"), Class::Unlisted);
    }
}

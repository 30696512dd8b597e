"""A stand-in for MiniSBD's Arabic sentence splitter, so that LibreTranslate serves offline.

LibreTranslate (through argos-translate) splits every request into sentences with MiniSBD,
which downloads ``ar.onnx`` on the first request unless the package carries
``minisbd/ar.onnx``; offline, every request fails. MiniSBD's models are Stanza tokenizers
exported to ONNX: inputs ``units`` (int64, batch × characters) and ``features`` (float32,
batch × characters × features), one output of five scores per character (0: inside a
token, 1: token end, 2: sentence end, 3/4: the same for multi-word tokens), plus the
tokenizer's configuration and vocabulary in the model's metadata.

This graph has that interface and scores class 0 for every character. MiniSBD itself
marks the last character of a paragraph as a sentence end, so each paragraph comes back
as one sentence, which is what the benchmark sends (one sentence per request). Its cost is
a few element-wise operations, far below the real BiLSTM's: the peer is measured with a
splitter that costs it next to nothing.

Runs in the peer's virtual environment (it needs ``onnx``, which tarjama does not):

    python bench/_peer_sbd.py OUTPUT.onnx
"""

from __future__ import annotations

import json
import sys

import onnx
from onnx import TensorProto, helper

CLASSES = 5
# Stanza's default tokenizer features; MiniSBD computes them from the text.
FEATURES = ["space_before", "capitalized", "numeric", "end_of_para", "start_of_para"]


def build(path: str) -> None:
    units = helper.make_tensor_value_info("units", TensorProto.INT64, ["batch", "chars"])
    features = helper.make_tensor_value_info(
        "features", TensorProto.FLOAT, ["batch", "chars", len(FEATURES)]
    )
    scores = helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", "chars", CLASSES])
    constants = [
        helper.make_tensor("zero", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("axes", TensorProto.INT64, [1], [2]),
        helper.make_tensor("inside", TensorProto.FLOAT, [CLASSES], [1.0] + [0.0] * (CLASSES - 1)),
    ]
    # Both inputs feed the output, so that ONNX Runtime keeps them as inputs to be fed.
    nodes = [
        helper.make_node("Cast", ["units"], ["units_f"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["units_f", "axes"], ["units_3d"]),
        helper.make_node("ReduceSum", ["features", "axes"], ["features_sum"], keepdims=1),
        helper.make_node("Add", ["units_3d", "features_sum"], ["both"]),
        helper.make_node("Mul", ["both", "zero"], ["nothing"]),
        helper.make_node("Add", ["nothing", "inside"], ["scores"]),
    ]
    graph = helper.make_graph(nodes, "sentence_per_paragraph", [units, features], [scores])
    graph.initializer.extend(constants)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8  # readable by every ONNX Runtime MiniSBD supports
    config = {"feat_funcs": FEATURES, "max_seqlen": 1000, "batch_size": 1}
    vocab = {"lang": "ar", "idx": 0, "cutoff": 0, "lower": False}
    vocab |= {"_id2unit": ["<PAD>", "<UNK>"], "_unit2id": {"<PAD>": 0, "<UNK>": 1}}
    for key, value in {"lang_code": "ar", "config": config, "vocab": vocab}.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(model)
    onnx.save(model, path)


if __name__ == "__main__":
    build(sys.argv[1])

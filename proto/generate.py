"""Regenerate the Python modules of the tarjama.v1 API from its .proto files.

Run from anywhere:  python proto/generate.py
Needs grpcio-tools (in the `dev` extra). The generated files are committed; the test
tests/test_proto.py fails when they no longer match the .proto.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROTO_ROOT = Path(__file__).resolve().parent
API_DIR = PROTO_ROOT / "tarjama" / "v1"


def proto_files() -> list[Path]:
    return sorted(API_DIR.glob("*.proto"))


def generate(out_dir: Path = PROTO_ROOT) -> None:
    """Writes *_pb2.py, *_pb2.pyi and *_pb2_grpc.py for every .proto into out_dir."""
    import grpc_tools
    from grpc_tools import protoc

    well_known = Path(grpc_tools.__file__).parent / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(str(p.relative_to(PROTO_ROOT)) for p in proto_files()),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed; see the messages above")


if __name__ == "__main__":
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else PROTO_ROOT)

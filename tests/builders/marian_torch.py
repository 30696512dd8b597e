"""A PyTorch Marian transformer that computes exactly what CTranslate2 runs after
``OpusMTConverter``, so weights trained here convert without surprises.

Conventions mirrored (ctranslate2/converters/marian.py, specs/transformer_spec.py):
post-norm "dan" blocks (``x = LayerNorm(x + sublayer(x))``), swish feed-forward, one
embedding matrix shared by encoder, decoder and output projection, embeddings scaled by
sqrt(d_model), sinusoidal positions laid out as all sines then all cosines, the decoder's
first step fed a zero vector instead of a start-token embedding, the source ending with
``</s>`` and an output bias ``decoder_ff_logit_out_b``. The alignment head is head 0 of the
last decoder layer's encoder-decoder attention (what ``return_attention=True`` returns).

Development only: torch is never imported outside tests/builders.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from tests.builders.marian import MarianConfig

LAYER_NORM_EPSILON = 1e-6


def sinusoidal_positions(length: int, dim: int) -> torch.Tensor:
    """CTranslate2's table for Marian models: sin of even timescales, then cos."""
    positions = np.arange(length)[:, None]
    timescales = np.power(10000, 2 * (np.arange(dim) // 2) / dim)[None, :]
    angles = positions / timescales
    table = np.zeros((length, dim))
    table[:, : dim // 2] = np.sin(angles[:, 0::2])
    table[:, dim // 2 :] = np.cos(angles[:, 1::2])
    return torch.tensor(table, dtype=torch.float32)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPSILON)
        self.dropout = nn.Dropout(dropout)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        return x.view(batch, length, self.heads, dim // self.heads).transpose(1, 2)

    def forward(
        self, x: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Returns the normalised block output and head 0's attention probabilities."""
        q, k, v = self._split(self.q(x)), self._split(self.k(memory)), self._split(self.v(memory))
        scores = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
        probs = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
        context = (probs @ v).transpose(1, 2).reshape(x.shape)
        return self.norm(x + self.dropout(self.o(context))), probs[:, 0]


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.inner, self.outer = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.norm = nn.LayerNorm(dim, eps=LAYER_NORM_EPSILON)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x + self.dropout(self.outer(F.silu(self.inner(x)))))


class MarianTransformer(nn.Module):
    def __init__(self, config: MarianConfig, vocab_size: int, dropout: float = 0.1) -> None:
        super().__init__()
        if config.activation != "swish":
            raise ValueError("only the swish activation of opus-mt models is mirrored")
        d = config.d_model
        self.config = config
        self.embedding = nn.Parameter(torch.randn(vocab_size, d) * d**-0.5)
        self.output_bias = nn.Parameter(torch.zeros(vocab_size))
        self.register_buffer("positions", sinusoidal_positions(512, d), persistent=False)
        self.dropout = nn.Dropout(dropout)
        self.encoder = nn.ModuleList(
            nn.ModuleList([Attention(d, config.heads, dropout),
                           FeedForward(d, config.ffn_dim, dropout)])
            for _ in range(config.enc_depth)
        )  # fmt: skip
        self.decoder = nn.ModuleList(
            nn.ModuleList([Attention(d, config.heads, dropout),
                           Attention(d, config.heads, dropout),
                           FeedForward(d, config.ffn_dim, dropout)])
            for _ in range(config.dec_depth)
        )  # fmt: skip

    def _embed(self, ids: torch.Tensor, zero_first: bool) -> torch.Tensor:
        x = F.embedding(ids, self.embedding) * math.sqrt(self.config.d_model)
        if zero_first:  # Marian starts decoding from a zero vector, not a token embedding
            x = torch.cat([torch.zeros_like(x[:, :1]), x[:, 1:]], dim=1)
        return self.dropout(x + self.positions[: ids.shape[1]])

    def encode(self, source: torch.Tensor, source_mask: torch.Tensor) -> torch.Tensor:
        x = self._embed(source, zero_first=False)
        key_mask = source_mask[:, None, None, :]
        for attention, feed_forward in self.encoder:
            x, _ = attention(x, x, key_mask)
            x = feed_forward(x)
        return x

    def decode(
        self,
        decoder_input: torch.Tensor,
        memory: torch.Tensor,
        source_mask: torch.Tensor,
        keep: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Logits and head 0's encoder-decoder attention [B, T, S] of every layer (the
        last one is the alignment head).

        ``decoder_input`` is the target shifted right; its first id is ignored (zeroed).
        Logits are [B, T, V], or [N, V] for the N positions where ``keep`` is true (the
        projection onto the vocabulary is most of the work; padding needs none).
        """
        length = decoder_input.shape[1]
        causal = torch.ones(length, length, dtype=torch.bool, device=memory.device).tril()
        x = self._embed(decoder_input, zero_first=True)
        key_mask = source_mask[:, None, None, :]
        heads = []
        for self_attention, context_attention, feed_forward in self.decoder:
            x, _ = self_attention(x, x, causal)
            x, head = context_attention(x, memory, key_mask)
            heads.append(head)
            x = feed_forward(x)
        if keep is not None:
            x = x[keep]
        return x @ self.embedding.T + self.output_bias, heads

    def forward(
        self,
        source: torch.Tensor,
        source_mask: torch.Tensor,
        decoder_input: torch.Tensor,
        keep: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        return self.decode(decoder_input, self.encode(source, source_mask), source_mask, keep)

    def marian_parameters(self) -> dict[str, np.ndarray]:
        """The weights under Marian's names and shapes (matrices input-major [in, out])."""

        def array(tensor: torch.Tensor) -> np.ndarray:
            return tensor.detach().cpu().numpy().astype(np.float32)

        params = {
            "Wemb": array(self.embedding),
            "decoder_ff_logit_out_b": array(self.output_bias)[None, :],
        }

        def attention(prefix: str, block: Attention) -> None:
            for part, linear in zip("qkvo", (block.q, block.k, block.v, block.o), strict=True):
                params[f"{prefix}_W{part}"] = array(linear.weight).T
                params[f"{prefix}_b{part}"] = array(linear.bias)[None, :]
            params[f"{prefix}_Wo_ln_scale"] = array(block.norm.weight)[None, :]
            params[f"{prefix}_Wo_ln_bias"] = array(block.norm.bias)[None, :]

        def feed_forward(prefix: str, block: FeedForward) -> None:
            params[f"{prefix}_W1"] = array(block.inner.weight).T
            params[f"{prefix}_b1"] = array(block.inner.bias)[None, :]
            params[f"{prefix}_W2"] = array(block.outer.weight).T
            params[f"{prefix}_b2"] = array(block.outer.bias)[None, :]
            params[f"{prefix}_ffn_ln_scale"] = array(block.norm.weight)[None, :]
            params[f"{prefix}_ffn_ln_bias"] = array(block.norm.bias)[None, :]

        for index, (self_attention, ffn) in enumerate(self.encoder, start=1):
            attention(f"encoder_l{index}_self", self_attention)
            feed_forward(f"encoder_l{index}_ffn", ffn)
        for index, (self_attention, context, ffn) in enumerate(self.decoder, start=1):
            attention(f"decoder_l{index}_self", self_attention)
            attention(f"decoder_l{index}_context", context)
            feed_forward(f"decoder_l{index}_ffn", ffn)
        return params

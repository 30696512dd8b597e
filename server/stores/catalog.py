"""The released models the store knows how to fetch, and where from.

Light on purpose: the CLI lists these in its help without loading the store.
"""

from __future__ import annotations

from dataclasses import dataclass

BASE_URL_ENV = "TARJAMA_MODEL_BASE_URL"
DEFAULT_MODEL = "opus-mt-ar-en"


@dataclass(frozen=True)
class KnownModel:
    """A released model the store knows how to fetch."""

    name: str
    base_url: str
    archive: str  # path of the release archive under the base URL
    description: str
    sha256: str | None = None  # pinned only where the real value could be checked
    source_language: str = "ar"
    target_language: str = "en"

    def url(self, base_url: str | None = None) -> str:
        return f"{(base_url or self.base_url).rstrip('/')}/{self.archive}"


KNOWN_MODELS: dict[str, KnownModel] = {
    model.name: model
    for model in (
        KnownModel(
            name="opus-mt-ar-en",
            base_url="https://object.pouta.csc.fi/OPUS-MT-models",
            archive="ar-en/opus-2019-12-18.zip",
            description="OPUS-MT ar-en: Marian transformer-align 6+6, d_model 512 "
            "(Tatoeba 49.4 BLEU, flores101-devtest 33.9 BLEU)",
        ),
        KnownModel(
            name="opus-mt-tc-big-ar-en",
            base_url="https://object.pouta.csc.fi/Tatoeba-MT-models",
            archive="ara-eng/opusTCv20210807+bt_transformer-big_2022-03-09.zip",
            description="Tatoeba-Challenge ara-eng transformer-big, d_model 1024 "
            "(flores101-devtest 42.6 BLEU); slower and larger",
        ),
    )
}

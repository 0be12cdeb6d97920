"""The typed configuration of a generator backend (used by stages, CLI, pipelines and the API)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Backend = Literal["template", "hf", "openai"]


class GeneratorConfig(BaseModel):
    """Which backend to use and how to talk to it.

    - ``template``: deterministic responders, no model (``template`` picks the default one);
    - ``hf``: a local transformers model (``model``: ``smol`` / ``None`` for the packaged
      SmolLM2-135M-Instruct GGUF, a ``.gguf`` file, or a Hugging Face checkpoint directory);
    - ``openai``: an OpenAI-compatible ``/chat/completions`` endpoint at ``base_url``, or a named
      platform ``endpoint`` (control-plane runs: an admin configures the URL and its secret; the
      control plane fills ``base_url``/``api_key_env`` in before the generator is built).
    """

    model_config = ConfigDict(extra="forbid")

    backend: Backend = Field(default="template", description="template | hf | openai.")
    model: str | None = Field(
        default=None, description="hf: 'smol', a .gguf path or a checkpoint dir; openai: the model name to request."
    )
    # --- openai ---------------------------------------------------------------------------------
    endpoint: str | None = Field(
        default=None, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="openai: name of a platform endpoint (control-plane runs); resolved server-side.",
    )
    base_url: str | None = Field(default=None, description="openai: e.g. http://127.0.0.1:8000/v1.")
    api_key_env: str | None = Field(
        default="OPENAI_API_KEY",
        description="openai: NAME of the environment variable holding the API key (the key itself is never stored).",
    )
    max_concurrency: int = Field(default=8, ge=1, description="openai: most requests in flight at once.")
    timeout_s: float = Field(default=60.0, gt=0, description="openai: per-request timeout (seconds).")
    max_retries: int = Field(default=4, ge=0, description="openai: retries on 429/5xx/timeouts/connection errors.")
    backoff_initial_s: float = Field(default=0.5, ge=0, description="openai: first retry delay (exponential, jittered).")
    backoff_max_s: float = Field(default=30.0, ge=0, description="openai: longest retry delay.")
    requests_per_second: float | None = Field(
        default=None, gt=0, description="openai: client-side rate limit on request starts (None = unlimited)."
    )
    extra_headers: dict[str, str] = Field(default_factory=dict, description="openai: extra HTTP headers.")
    extra_body: dict[str, Any] = Field(default_factory=dict, description="openai: extra JSON body fields.")
    return_errors: bool = Field(
        default=False,
        description="Return failed requests as responses with finish_reason='error' instead of raising.",
    )
    # --- hf -------------------------------------------------------------------------------------
    batch_size: int = Field(default=8, ge=1, description="hf: prompts per generate() batch.")
    device: str = Field(default="cpu", description="hf: torch device (cpu, cuda, cuda:1, mps).")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(default="float32", description="hf: weights dtype.")
    tool_prompt: Literal["auto", "native", "prompt"] = Field(
        default="auto",
        description=(
            "hf: how tools reach the model: 'native' = chat template tools=, 'prompt' = tool list and format "
            "instruction in the system message, 'auto' = native when the template renders tools, else prompt."
        ),
    )
    output_format: str = Field(
        default="json_list", description="hf/serve: output format (xlam.formats name) asked for in prompt mode."
    )
    # --- template -------------------------------------------------------------------------------
    template: str = Field(default="echo", description="template: default responder (paraphrase, echo_calls, judge, echo).")
    seed: int = Field(default=0, description="Base seed for sampling and template variation.")

    @model_validator(mode="after")
    def _check_backend_fields(self) -> GeneratorConfig:
        if self.backend == "openai" and not self.base_url and not self.endpoint:
            raise ValueError("backend 'openai' needs base_url (e.g. http://127.0.0.1:8000/v1) or an endpoint name")
        return self

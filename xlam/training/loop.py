"""The per-worker training loop, shared by Ray Train, torchrun/the deepspeed launcher and local runs.

``train_loop_per_worker(config_dict)`` is what ``TorchTrainer`` runs on every worker and what
``python -m xlam.training.worker`` runs under ``torchrun``. Order per optimizer step: draw
``grad_accum`` micro-batches -> agree on the global target count -> forward/backward each ->
clip + step (engine) -> log -> checkpoint every ``checkpoint.every_steps``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from xlam.training.checkpointing import (
    CheckpointStore,
    LocalCheckpointStore,
    RayCheckpointStore,
    rng_state,
    set_rng_state,
)
from xlam.training.config import TrainConfig
from xlam.training.data import TokenBatches, batch_to
from xlam.training.engine import Engine, build_engine
from xlam.training.kernels import FusedCEHead, cu_seqlens, fuse_lm_head, use_varlen_attention
from xlam.training.losses import dpo_loss, pair_logps, router_stats, sft_loss
from xlam.training.models import build_model, compile_layers, load_tokenizer, moe_block_class
from xlam.training.recipes import get_recipe

RAY_WORKER_ENV = "XLAM_RAY_TRAIN_WORKER"


def in_ray_worker() -> bool:
    """Whether this process is a Ray Train worker started by :func:`ray_train_loop` (explicit, so a
    local run in a process that happens to have Ray initialised is not mistaken for one)."""
    return os.environ.get(RAY_WORKER_ENV) == "1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def init_distributed(use_gpu: bool) -> tuple[int, int, int]:
    """(rank, world size, local rank); starts a one-process group for local runs."""
    if not dist.is_initialized():
        # GPU runs: NCCL for CUDA tensors and gloo for the CPU tensors the loop reduces (metrics, counts);
        # a plain "nccl" group fails on them with "No backend type associated with device type cpu".
        backend = "cpu:gloo,cuda:nccl" if use_gpu else "gloo"
        if "RANK" in os.environ:  # torchrun / the deepspeed launcher
            dist.init_process_group(backend)
        else:  # local: a one-process group on a free port (no MASTER_* left behind in the environment)
            os.environ.setdefault("LOCAL_RANK", "0")  # DeepSpeed reads it
            dist.init_process_group(backend, init_method=f"tcp://127.0.0.1:{_free_port()}", rank=0, world_size=1)
    local = int(os.environ.get("LOCAL_RANK", "0"))
    return dist.get_rank(), dist.get_world_size(), local


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def freeze_below_top_layers(model: Any, n: int) -> None:
    """Only the top ``n`` decoder layers and the final norm keep ``requires_grad`` (embeddings, a tied
    LM head and the lower layers are frozen, so the backward pass ends at the lowest trained layer)."""
    decoder = model.get_decoder()
    model.requires_grad_(False)
    for layer in decoder.layers[max(0, len(decoder.layers) - n):]:
        layer.requires_grad_(True)
    if getattr(decoder, "norm", None) is not None:
        decoder.norm.requires_grad_(True)


def apply_lora(model: Any, config: TrainConfig) -> Any:
    from peft import LoraConfig, get_peft_model

    recipe = get_recipe(config.model.recipe)
    lora = config.lora
    peft_config = LoraConfig(
        r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout, task_type="CAUSAL_LM",
        target_modules=list(lora.target_modules or recipe.lora_targets),
    )
    return get_peft_model(model, peft_config)


def add_embedding_noise(model: Any, alpha: float) -> Any:
    """NEFTune (transformers' hook): noise on the input embeddings while the model is in training mode;
    evaluation and the exported weights are untouched. Returns the hook's handle."""
    from transformers.integrations.neftune import activate_neftune

    return activate_neftune(model, alpha)  # type: ignore[no-untyped-call]


class Trainer:
    """State of one worker's run (built by :func:`train_loop_per_worker`)."""

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.ray = in_ray_worker()
        self.rank, self.world, local = init_distributed(config.distributed.use_gpu)
        self.device = torch.device(f"cuda:{local}") if config.distributed.use_gpu else torch.device("cpu")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        self.bf16 = config.precision == "bf16" or (config.precision == "auto" and self.device.type == "cuda")
        self.recipe = get_recipe(config.model.recipe)
        self.output = Path(config.output_dir)
        self.output.mkdir(parents=True, exist_ok=True)
        seed_everything(config.seed)  # identical initial weights on every rank
        self.tokenizer = load_tokenizer(self.recipe, config.model.checkpoint)
        model = build_model(
            self.recipe, checkpoint=config.model.checkpoint, seed=config.seed,
            attn_implementation=config.model.attn_implementation,
            experts_implementation=config.model.experts_implementation,
            arch_overrides=config.model.arch_overrides,
        )
        model.config.use_cache = False
        if config.model.train_top_layers is not None:
            freeze_below_top_layers(model, config.model.train_top_layers)
        self.reference: Any = None
        if config.method == "dpo" and not config.use_lora and config.dpo.reference == "frozen":
            import copy

            self.reference = copy.deepcopy(model).eval().requires_grad_(False).to(self.device)
        fast = prepare_model(model, config)
        if self.reference is not None and fast["varlen"]:
            use_varlen_attention(self.reference)
        if config.activation_checkpointing:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        if config.use_lora:
            model = apply_lora(model, config)
        if config.optim.neftune_alpha > 0:
            add_embedding_noise(model, config.optim.neftune_alpha)
        block = moe_block_class(model)
        if block is not None and config.distributed.engine == "deepspeed" and config.distributed.zero_stage == 3:
            from deepspeed.utils import set_z3_leaf_modules

            set_z3_leaf_modules(model, [block])
        self.moe = block is not None
        self.aux_coef = config.moe.aux_loss_coef
        if self.aux_coef is None:
            self.aux_coef = float(getattr(model.config, "router_aux_loss_coef", 0.0) or 0.0) if self.moe else 0.0
        self.model_config = model.config
        self.expert_parallel: Any = None
        if config.distributed.expert_parallel > 1:
            from xlam.training.expert_parallel import ExpertParallel

            self.expert_parallel = ExpertParallel(model, config.distributed.expert_parallel)
        if config.distributed.engine == "torch":
            model = model.to(self.device)
        self.engine: Engine = build_engine(model, config, self.device, self.bf16, self.expert_parallel)
        self.runner = StepRunner(self.engine, config, self.model_config, self.device, self.world,
                                 head=fast["head"], varlen=fast["varlen"], moe=self.moe, aux_coef=self.aux_coef,
                                 num_experts=max(self.recipe.num_experts, getattr(self.model_config, "num_local_experts", 0) or 0),
                                 reference_logps=self._reference_logps)
        seed_everything(config.seed + 1000 * self.rank)  # independent randomness per rank (xLAM)
        self.data = TokenBatches(config, self.tokenizer, self.rank, self.world)
        self.store: CheckpointStore = (
            RayCheckpointStore(self.rank) if self.ray
            else LocalCheckpointStore(self.output / "checkpoints", config.checkpoint.keep, self.rank)
        )
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.tokens_seen = 0

    # --- checkpoints -------------------------------------------------------------------------
    def restore(self) -> None:
        path = self.store.latest() if self.config.checkpoint.resume else None
        if path is None:
            return
        state = json.loads((path / "trainer_state.json").read_text())
        if state["world_size"] != self.world:
            raise RuntimeError(
                f"checkpoint {path} was written by {state['world_size']} workers, this run has {self.world}: "
                "data shards and ZeRO partitions would not line up (convert it to a universal checkpoint first)"
            )
        self.engine.load(path / "engine", "state")
        mine = torch.load(path / f"rank_{self.rank}.pt", map_location="cpu", weights_only=False)
        self.data.load_state_dict(mine["data"])
        set_rng_state(mine["rng"])
        self.step = state["step"]
        self.tokens_seen = state["tokens_seen"]
        self.history = state["history"]

    def save(self, metrics: dict[str, Any]) -> None:
        directory = self.store.begin(self.step)
        self.engine.save(directory / "engine", "state")
        torch.save({"data": self.data.state_dict(), "rng": rng_state(), "step": self.step},
                   directory / f"rank_{self.rank}.pt")
        if self.rank == 0:
            (directory / "trainer_state.json").write_text(json.dumps({
                "step": self.step, "world_size": self.world, "tokens_seen": self.tokens_seen,
                "history": self.history, "recipe": self.recipe.name,
                "config": self.config.model_dump(mode="json"), "lora": self.config.use_lora,
            }))
        self.store.commit(self.step, directory, metrics)

    # --- one step ----------------------------------------------------------------------------
    def _all_sum(self, values: list[float]) -> list[float]:
        # on the device: NCCL groups (Ray's TorchConfig("nccl"), torchrun) reduce CUDA tensors only
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return [float(x) for x in t.tolist()]

    def _reference_logps(self, batch: dict[str, Any], forward: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if batch.get("ref_logps") is not None:
            ref = batch["ref_logps"]
            return ref[..., 0], ref[..., 1]
        with torch.no_grad():
            if self.reference is not None:
                kwargs = self.runner.attention_kwargs(batch)
                out = self.reference(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                                     use_cache=False, **kwargs)
            else:  # LoRA: the base model is the adapter-disabled policy
                with self.engine.module.disable_adapter():  # type: ignore[operator]
                    out = forward(batch)
            chosen, rejected, _ = pair_logps(out.logits, batch, batch["docs_per_row"])
        return chosen, rejected

    def train_step(self) -> dict[str, Any] | None:
        cfg = self.config
        drawn = [self.data.next_micro_batch() for _ in range(cfg.optim.grad_accum)]
        micro_cpu: list[dict[str, Any]] = [m for m in drawn if m is not None]
        dpo = cfg.method == "dpo"
        local_units = sum(pair_count(m) if dpo else int((m["targets"] != -100).sum()) for m in micro_cpu)
        # one reduction before the step: does any rank lack data (every rank stops together), and the
        # global target count the loss is normalised by
        missing, global_units = self._all_sum([float(len(micro_cpu) < len(drawn)), float(local_units)])
        if missing:
            return None
        tokens = sum(int(m["token_mask"].sum()) for m in micro_cpu)
        started = time.perf_counter()
        sums, grad_norm, lr = self.runner.run(micro_cpu, global_units)
        self.step += 1
        # the step's one wait for the device: every metric in one all-reduce
        reduced = self._all_sum_tensor(torch.cat([sums, torch.tensor([float(tokens)], dtype=sums.dtype,
                                                                         device=sums.device)]))
        total = dict(zip(StepRunner.KEYS, reduced[: len(StepRunner.KEYS)], strict=True))
        n_keys = len(StepRunner.KEYS)
        counts = reduced[n_keys:-1]
        tokens_global = int(reduced[-1])
        self.tokens_seen += tokens_global
        seconds = time.perf_counter() - started
        metrics: dict[str, Any] = {
            "step": self.step, "loss": total["loss"] / max(global_units, 1.0), "lr": lr,
            "grad_norm": float(grad_norm), "tokens": tokens_global, "tokens_seen": self.tokens_seen,
            "seconds": seconds, "tokens_per_s": tokens_global / seconds if seconds else 0.0,
            "units": int(global_units),
        }
        if dpo:
            n = max(global_units, 1.0)
            metrics.update(margin=total["margin"] / n, reward_accuracy=total["acc"] / n,
                           chosen_reward=total["chosen"] / n, rejected_reward=total["rejected"] / n)
        if self.moe:
            metrics.update(aux_loss=total["aux"] / self.world, router_entropy=total["entropy"] / self.world,
                           expert_tokens=[int(x) for x in counts])
        self._log_samples([rid for m in micro_cpu for rid in m["record_ids"]])
        return metrics

    def _all_sum_tensor(self, t: torch.Tensor) -> list[float]:
        dist.all_reduce(t)
        return [float(x) for x in t.tolist()]

    def _log_samples(self, record_ids: list[str]) -> None:
        with (self.output / f"samples_rank{self.rank}.jsonl").open("a") as fh:
            fh.write(json.dumps({"step": self.step, "records": record_ids}) + "\n")

    # --- run ---------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        cfg = self.config
        self.restore()
        logs = [self.output / f"samples_rank{self.rank}.jsonl"]
        if self.rank == 0:
            logs.append(self.output / "metrics.jsonl")
        for path in logs:  # drop lines a crashed run wrote after its last checkpoint
            _truncate_log(path, self.step)
        last: dict[str, Any] = {}
        stopped = "max_steps"
        while self.step < cfg.optim.max_steps:
            metrics = self.train_step()
            if metrics is None:
                stopped = "data_exhausted"
                break
            last = metrics
            self.history.append(metrics)
            if self.rank == 0:
                with (self.output / "metrics.jsonl").open("a") as fh:
                    fh.write(json.dumps(metrics) + "\n")
            at_end = self.step >= cfg.optim.max_steps
            if self.step % cfg.checkpoint.every_steps == 0 or at_end:
                self.save(_scalar(metrics))
            if cfg.crash_at_step is not None and self.step == cfg.crash_at_step and self.rank == 0:
                marker = self.output / f".crashed-at-{self.step}"
                if not marker.exists():  # one-shot, so a restarted worker group gets past it
                    marker.write_text("fault injection\n")
                    os.kill(os.getpid(), signal.SIGKILL)  # no clean shutdown
        if stopped == "data_exhausted" and last and self.step % cfg.checkpoint.every_steps:
            self.save(_scalar(last))
        summary = {"final_step": self.step, "stopped": stopped, "render": self.data.renderer.stats.as_dict(),
                   "tokens_seen": self.tokens_seen}
        export_dir = None
        if cfg.export:
            from xlam.training.export import export_from_engine

            export_dir = export_from_engine(self, summary)
        if self.rank == 0:
            result = {**summary, "history": self.history, "export_dir": export_dir,
                      "checkpoint_dir": str(self.output / "checkpoints") if not self.ray else None}
            (self.output / "result.json").write_text(json.dumps(result, default=str))
        if self.ray and isinstance(self.store, RayCheckpointStore):
            self.store.report({**_scalar(last), "final_step": self.step, "export_dir": export_dir or ""})
        return summary


def prepare_model(model: Any, config: TrainConfig) -> dict[str, Any]:
    """Switch on the fast paths of ``config.perf`` on a freshly built model (before LoRA, the
    engine and DDP): varlen attention, the fused cross-entropy head (SFT), regional compilation.
    Returns ``{"varlen": bool, "head": FusedCEHead | None}`` for :class:`StepRunner`."""
    perf = config.perf
    varlen = False
    window = getattr(model.config, "sliding_window", None)
    if perf.varlen_attention and config.model.attn_implementation is None and (
            window is None or window >= config.data.max_seq_len):
        use_varlen_attention(model)
        varlen = True
    head = fuse_lm_head(model, perf.ce_chunk_tokens) if perf.fused_cross_entropy and config.method == "sft" else None
    if perf.compile_layers:
        compile_layers(model)
    return {"varlen": varlen, "head": head}


class StepRunner:
    """Forward/backward of one optimizer step's micro-batches and the engine step, with every metric
    accumulated on the device (no host sync inside the step). Shared by the loop and the benchmark."""

    KEYS = ("loss", "aux", "entropy", "margin", "acc", "chosen", "rejected")

    def __init__(self, engine: Engine, config: TrainConfig, model_config: Any, device: torch.device, world: int, *,
                 head: FusedCEHead | None, varlen: bool, moe: bool, aux_coef: float, num_experts: int,
                 reference_logps: Any = None) -> None:
        self.engine = engine
        self.config = config
        self.model_config = model_config
        self.device = device
        self.world = world
        self.head = head
        self.varlen = varlen
        self.moe = moe
        self.aux_coef = aux_coef
        self.num_experts = num_experts
        self.reference_logps = reference_logps

    def attention_kwargs(self, batch: dict[str, Any]) -> dict[str, Any]:
        if not self.varlen:
            return {}
        return {"xlam_cu_seqlens": batch["cu_seqlens"], "xlam_max_seqlen": batch["max_seqlen"]}

    def to_device(self, batch: dict[str, Any]) -> dict[str, Any]:
        """CPU micro-batch -> device. Document boundaries come from the CPU position ids; on CUDA the
        tensors go through pinned memory as asynchronous copies (a copy from pageable memory waits
        for the device to finish its queue: one host sync per micro-batch)."""
        if self.varlen:
            cu, longest = cu_seqlens(batch["position_ids"])
            batch = {**batch, "cu_seqlens": cu, "max_seqlen": longest}
        if self.device.type != "cuda":
            return batch_to(batch, self.device)
        return {k: v.pin_memory().to(self.device, non_blocking=True) if isinstance(v, torch.Tensor) else v
                for k, v in batch.items()}

    def forward(self, batch: dict[str, Any]) -> Any:
        module = self.engine.forward_module()
        return module(input_ids=batch["input_ids"], position_ids=batch["position_ids"],
                      output_router_logits=self.moe or None, use_cache=False, **self.attention_kwargs(batch))

    def run(self, micro_cpu: list[dict[str, Any]], global_units: float) -> tuple[torch.Tensor, Any, float]:
        """(metric sums [KEYS..., expert counts...] on the device, grad norm, LR used by this step)."""
        cfg = self.config
        dpo = cfg.method == "dpo"
        sums = torch.zeros(len(self.KEYS) + self.num_experts, dtype=torch.float64, device=self.device)
        n_micro = len(micro_cpu)
        for i, cpu_batch in enumerate(micro_cpu):
            batch = self.to_device(cpu_batch)
            if self.head is not None:
                self.head.xlam_targets = batch["targets"]
            try:
                out = self.forward(batch)
            finally:
                if self.head is not None:
                    self.head.xlam_targets = None
            if dpo:
                chosen, rejected, valid = pair_logps(out.logits, batch, batch["docs_per_row"])
                ref_c, ref_r = self.reference_logps(batch, self.forward)
                res = dpo_loss(chosen[valid], rejected[valid], ref_c[valid].to(chosen.dtype),
                               ref_r[valid].to(chosen.dtype), beta=cfg.dpo.beta,
                               label_smoothing=cfg.dpo.label_smoothing)
                loss = res.loss
                if cfg.dpo.sft_weight:
                    loss = loss - cfg.dpo.sft_weight * chosen[valid].sum()
                sums[3] += res.margins.sum().detach()
                sums[4] += (res.margins > 0).sum()
                sums[5] += res.chosen_rewards.sum()
                sums[6] += res.rejected_rewards.sum()
            elif self.head is not None:
                loss = out.logits  # the fused head returned the summed token NLL
            else:
                loss = sft_loss(out.logits, batch["targets"])
            sums[0] += loss.detach()
            scaled = loss / max(global_units, 1.0)
            if self.moe and out.router_logits:
                stats = router_stats(out.router_logits, self.model_config.num_local_experts,
                                     self.model_config.num_experts_per_tok, batch["token_mask"])
                scaled = scaled + self.aux_coef * stats["aux_loss"] / n_micro / self.world
                sums[1] += stats["aux_loss"].detach() / n_micro
                sums[2] += stats["router_entropy"] / n_micro
                sums[len(self.KEYS):len(self.KEYS) + stats["expert_counts"].numel()] += stats["expert_counts"]
            self.engine.backward(scaled)
            if i < n_micro - 1:
                self.engine.micro_step()
        lr = self.engine.lr  # the LR this optimizer step uses (the scheduler moves on inside step)
        grad_norm = self.engine.step()
        return sums, grad_norm, lr


def pair_count(batch: dict[str, Any]) -> int:
    docs = batch["docs_per_row"]
    present = torch.zeros(batch["doc_ids"].shape[0], docs, dtype=torch.bool).scatter(
        1, batch["doc_ids"].clamp(min=0).cpu(), batch["token_mask"].cpu())
    return int((present[:, 0::2] & present[:, 1::2]).sum())


def _scalar(metrics: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in metrics.items() if isinstance(v, int | float)}


def _truncate_log(path: Path, step: int) -> None:
    """Drop sample-log lines after ``step`` (written by a run that crashed before its next checkpoint)."""
    if not path.exists():
        path.write_text("")
        return
    lines = [ln for ln in path.read_text().splitlines() if ln and json.loads(ln)["step"] <= step]
    path.write_text("".join(ln + "\n" for ln in lines))


def ray_train_loop(config: dict[str, Any]) -> None:
    """The function Ray Train's ``TorchTrainer`` runs on every worker."""
    os.environ[RAY_WORKER_ENV] = "1"
    train_loop_per_worker(config)


def train_loop_per_worker(config: dict[str, Any]) -> None:
    """Entry point on every worker (Ray Train ``train_loop_per_worker`` and torchrun)."""
    trainer = Trainer(TrainConfig.model_validate(config))
    try:
        trainer.run()
    finally:
        if dist.is_initialized() and not trainer.ray:
            dist.destroy_process_group()

"""Training engines: one interface over DeepSpeed ZeRO and plain PyTorch (single process or DDP).

The loop (:mod:`xlam.training.loop`) never imports DeepSpeed: it calls ``backward``, ``step``,
``save``, ``load`` and ``full_state_dict`` here (the OpenRLHF "strategy object" pattern).

Loss scaling: the loop passes each micro-batch's share of the *global* mean loss (local sum divided
by the global number of target tokens of the optimizer step). Data-parallel gradient averaging
divides by the world size and DeepSpeed divides by the accumulation steps, so the engine multiplies
back by what its backend divides by: the gradient is exactly that of the global token mean, whatever
the packing, micro-batching or number of workers.
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from xlam.training.config import TrainConfig


def lr_lambda(config: TrainConfig) -> Any:
    """Linear warm-up then cosine decay to ``min_lr`` (as a multiplier of ``lr``)."""
    opt = config.optim
    floor = opt.min_lr / opt.lr
    warmup = opt.warmup_steps
    total = max(opt.max_steps, warmup + 1)

    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        if opt.schedule == "constant":
            return 1.0
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return floor + (1 - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def _decays(name: str, param: torch.Tensor) -> bool:
    """Weight decay applies to matrices, not to biases and norms."""
    return not (param.ndim < 2 or "norm" in name)


def build_optimizer(
    model: torch.nn.Module, config: TrainConfig, named: list[tuple[str, torch.Tensor]] | None = None
) -> tuple[Any, Any]:
    """AdamW (no decay on biases/norms) and the warm-up + cosine LambdaLR (over ``named`` if given)."""
    decay: list[torch.Tensor] = []
    no_decay: list[torch.Tensor] = []
    for name, param in named if named is not None else list(model.named_parameters()):
        if not param.requires_grad:
            continue
        (decay if _decays(name, param) else no_decay).append(param)
    opt = config.optim
    groups = [{"params": decay, "weight_decay": opt.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    # Drop empty groups (LoRA has no 1-d trainable params): DeepSpeed ZeRO removes them from the
    # optimizer, and a LambdaLR built over more groups than it keeps fails at its first step.
    groups = [g for g in groups if g["params"]]
    fused = torch.cuda.is_available() and config.distributed.use_gpu
    optimizer = torch.optim.AdamW(groups, lr=opt.lr, betas=opt.betas, eps=opt.eps, **({"fused": True} if fused else {}))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(config))
    return optimizer, scheduler


def deepspeed_config(config: TrainConfig, world_size: int, bf16: bool) -> dict[str, Any]:
    """The DeepSpeed config of a run (ZeRO stage, offload, bf16, clipping, batch sizes)."""
    d = config.distributed
    zero: dict[str, Any] = {
        "stage": d.zero_stage,
        "contiguous_gradients": True,
        "overlap_comm": d.use_gpu,
        "reduce_bucket_size": 5e8,
        "allgather_bucket_size": 5e8,
    }
    if d.zero_stage == 3:
        zero.update(
            stage3_gather_16bit_weights_on_model_save=True,
            stage3_prefetch_bucket_size=5e7,
            stage3_param_persistence_threshold=1e5,
            stage3_max_live_parameters=1e9,
            stage3_max_reuse_distance=1e9,
        )
    if d.offload_optimizer:
        zero["offload_optimizer"] = {"device": "cpu", "pin_memory": d.use_gpu}
    if d.offload_params:
        zero["offload_param"] = {"device": "cpu", "pin_memory": d.use_gpu}
    return {
        "train_micro_batch_size_per_gpu": config.data.micro_batch_size,
        "gradient_accumulation_steps": config.optim.grad_accum,
        "train_batch_size": config.data.micro_batch_size * config.optim.grad_accum * world_size,
        "gradient_clipping": config.optim.grad_clip,
        "zero_optimization": zero,
        "bf16": {"enabled": bf16},
        "zero_allow_untested_optimizer": True,
        "zero_force_ds_cpu_optimizer": False,
        "steps_per_print": 10**9,
        "wall_clock_breakdown": False,
    }


class Engine:
    """What the loop needs from a training backend."""

    module: torch.nn.Module
    world_size: int
    rank: int

    def forward_module(self) -> torch.nn.Module:
        return self.module

    def backward(self, loss: torch.Tensor) -> None:
        raise NotImplementedError

    def step(self) -> Any:
        """Apply the accumulated gradients (clip, optimizer, scheduler); return the grad norm (a float
        or a 0-d device tensor: read it once the step's metrics are reduced)."""
        raise NotImplementedError

    def micro_step(self) -> None:
        """Called after each non-final micro-batch's backward."""

    @property
    def lr(self) -> float:
        raise NotImplementedError

    def save(self, directory: Path, tag: str) -> None:
        raise NotImplementedError

    def load(self, directory: Path, tag: str) -> None:
        raise NotImplementedError

    def full_state_dict(self, directory: Path | None = None, tag: str | None = None) -> dict[str, torch.Tensor] | None:
        """The consolidated model state dict on rank 0 (None elsewhere)."""
        raise NotImplementedError


class DeepSpeedEngine(Engine):
    def __init__(self, model: torch.nn.Module, config: TrainConfig, bf16: bool) -> None:
        import deepspeed

        self.world_size = dist.get_world_size()
        self.rank = dist.get_rank()
        optimizer, scheduler = build_optimizer(model, config)
        self.ds_config = deepspeed_config(config, self.world_size, bf16)
        self.engine, _, _, _ = deepspeed.initialize(
            model=model, optimizer=optimizer, lr_scheduler=scheduler, config=self.ds_config
        )
        self.module = self.engine.module
        self.gas = config.optim.grad_accum

    def forward_module(self) -> torch.nn.Module:
        return self.engine  # type: ignore[no-any-return]

    def backward(self, loss: torch.Tensor) -> None:
        self.engine.backward(loss * self.world_size * self.gas)

    def micro_step(self) -> None:
        self.engine.step()

    def step(self) -> float:
        self.engine.step()
        norm = self.engine.get_global_grad_norm()
        return float(norm) if norm is not None else float("nan")

    @property
    def lr(self) -> float:
        return float(self.engine.get_lr()[0])

    def save(self, directory: Path, tag: str) -> None:
        self.engine.save_checkpoint(str(directory), tag=tag)

    def load(self, directory: Path, tag: str) -> None:
        path, _ = self.engine.load_checkpoint(str(directory), tag=tag)
        if path is None:
            raise RuntimeError(f"DeepSpeed found no checkpoint {tag} under {directory}")

    def full_state_dict(self, directory: Path | None = None, tag: str | None = None) -> dict[str, torch.Tensor] | None:
        if self.engine.zero_optimization_partition_weights():  # ZeRO-3: gather the 16-bit weights
            sd = self.engine._zero3_consolidated_16bit_state_dict()
            return {k: v.float() for k, v in sd.items()} if self.rank == 0 and sd is not None else None
        if self.rank != 0:
            return None
        return {k: v.detach().float().cpu() for k, v in self.module.state_dict().items()}


class TorchEngine(Engine):
    """Plain AdamW; DDP when the process group has several ranks (GPU boxes without DeepSpeed).

    With ``bf16`` the model itself runs in bf16 (every matmul, grouped expert GEMMs included, hits
    the bf16 tensor cores; transformers' grouped_mm casts inputs to the *weight* dtype, so fp32
    weights under autocast would run the experts in fp32) and the optimizer owns fp32 master
    copies. ``perf.fused_optimizer`` (default): :class:`xlam.training.optim.FlatMasterAdamW`, flat
    bf16 weight/gradient buffers and one fused kernel per step; otherwise the reference path: the
    gradients are upcast into per-parameter fp32 masters, clipped, stepped by torch's AdamW and
    copied back. Memory per parameter is the same 16 bytes as fp32 weights + AdamW.

    With DDP and gradient accumulation, only the last micro-batch of an optimizer step all-reduces
    (DDP's ``no_sync`` for the others, set before each forward): the gradients add up locally and
    one all-reduce per step averages them, instead of one per micro-batch.

    Expert parallelism (``distributed.expert_parallel``, :mod:`xlam.training.expert_parallel`):
    expert parameters are rank-local (DDP ignores them); their gradients already hold every rank's
    tokens through the all-to-all backward, are summed over the ranks that hold the same experts
    and divided by the world size at the step, and enter the global grad norm once per EP group.

    ``step`` returns the grad norm as a device tensor: nothing in a step waits for the device.
    """

    def __init__(self, model: torch.nn.Module, config: TrainConfig, device: torch.device, bf16: bool = False,
                 expert_parallel: Any = None) -> None:
        self.world_size = dist.get_world_size() if dist.is_initialized() else 1
        self.rank = dist.get_rank() if dist.is_initialized() else 0
        self.module = model
        self.ep = expert_parallel
        self.expert_names: set[str] = set(expert_parallel.param_names) if expert_parallel is not None else set()
        self.ep_group = expert_parallel.group if expert_parallel is not None else None
        self.ep_replica_group = expert_parallel.replica_group if expert_parallel is not None else None
        self.named: list[tuple[str, torch.Tensor]] = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        self.master: list[torch.Tensor] | None = None
        self.flat: Any = None
        opt = config.optim
        if bf16:
            fp32 = {n: p.detach().float().clone() for n, p in self.named}
            model.to(torch.bfloat16)
            self.named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
            if config.perf.fused_optimizer:
                from xlam.training.optim import FlatMasterAdamW

                groups: list[dict[str, Any]] = []
                for expert in (False, True):
                    for decay in (True, False):
                        items = [(n, p, fp32[n]) for n, p in self.named
                                 if (n in self.expert_names) == expert and _decays(n, p) == decay]
                        groups.append({"params": items, "weight_decay": opt.weight_decay if decay else 0.0,
                                       "expert": expert})
                self.flat = FlatMasterAdamW(groups, lr=opt.lr, betas=opt.betas, eps=opt.eps,
                                            max_grad_norm=opt.grad_clip)
                self.flat_expert = [g["expert"] for g in groups if g["params"]]
                by_name = {n: m for (n, _, _), m in zip(
                    [it for g in groups for it in g["params"]], self.flat.master_views(), strict=True)}
                self.master = [by_name[n] for n, _ in self.named]
                self.optimizer = self.flat
                self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.flat, lr_lambda(config))
            else:
                self.master = [fp32[n].requires_grad_(True) for n, _ in self.named]
                named_for_opt = [(n, m) for (n, _), m in zip(self.named, self.master, strict=True)]
                self.optimizer, self.scheduler = build_optimizer(model, config, named_for_opt)
        else:
            self.optimizer, self.scheduler = build_optimizer(model, config, self.named)
        self.wrapped: torch.nn.Module = model
        if self.world_size > 1:
            from torch.nn.parallel import DistributedDataParallel

            if self.expert_names:  # rank-local experts: not averaged by DDP
                DistributedDataParallel._set_params_and_buffers_to_ignore_for_model(  # type: ignore[no-untyped-call]
                    model, sorted(self.expert_names))
            self.wrapped = DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None)
        self.clip = opt.grad_clip
        self.accumulate = opt.grad_accum  # micro-batches per optimizer step
        self._micro = 0  # backward passes since the last step
        self._sync = True  # whether the coming backward all-reduces

    def forward_module(self) -> torch.nn.Module:
        if self.world_size > 1:  # what DDP.no_sync() sets: all-reduce in the last micro-batch's backward only
            self._sync = self._micro + 1 >= self.accumulate
            self.wrapped.require_backward_grad_sync = self._sync  # type: ignore[assignment]
        return self.wrapped

    def backward(self, loss: torch.Tensor) -> None:
        (loss * self.world_size).backward()  # type: ignore[no-untyped-call]
        self._micro += 1

    def _reduce_expert_grads(self, grads: list[torch.Tensor]) -> None:
        for g in grads:
            if self.ep_replica_group is not None:
                dist.all_reduce(g, group=self.ep_replica_group)
            g.div_(self.world_size)

    def _norm(self, dense: list[torch.Tensor], expert: list[torch.Tensor]) -> torch.Tensor:
        """Global L2 norm: dense gradients are replicated, expert gradients are sharded over the EP group."""
        def sq(ts: list[torch.Tensor]) -> torch.Tensor:
            if not ts:
                return torch.zeros((), dtype=torch.float32, device=self._device())
            return torch.stack([torch.linalg.vector_norm(t, dtype=torch.float32) for t in ts]).square().sum()

        total = sq(dense)
        if self.expert_names:
            ex = sq(expert)
            if self.ep_group is not None:
                dist.all_reduce(ex, group=self.ep_group)
            total = total + ex
        return total.sqrt()

    def _device(self) -> torch.device:
        return self.named[0][1].device

    def step(self) -> Any:
        if self.world_size > 1 and not self._sync:
            # fewer micro-batches than ``accumulate``: the last backward skipped DDP's all-reduce
            for n, p in self.named:
                if p.grad is not None and n not in self.expert_names:
                    dist.all_reduce(p.grad)
                    p.grad.div_(self.world_size)
        self._micro, self._sync = 0, True
        if self.flat is not None:
            self.flat._regather_grads()
            grads = [f["grad"] for f in self.flat.flat]
            expert = [g for g, e in zip(grads, self.flat_expert, strict=True) if e]
            if self.expert_names:
                self._reduce_expert_grads(expert)
            dense = [g for g, e in zip(grads, self.flat_expert, strict=True) if not e]
            norm = self.flat.step(norm=self._norm(dense, expert))
            self.scheduler.step()
            return norm
        if self.expert_names:
            self._reduce_expert_grads([p.grad for n, p in self.named if n in self.expert_names and p.grad is not None])
        if self.master is not None:
            for (_, p), m in zip(self.named, self.master, strict=True):
                m.grad = None if p.grad is None else p.grad.float()
            pairs = [(n, m) for (n, _), m in zip(self.named, self.master, strict=True) if m.grad is not None]
        else:
            pairs = [(n, p) for n, p in self.named if p.grad is not None]
        params = [p for _, p in pairs]
        if self.expert_names:
            by_name = {n: p.grad for n, p in pairs if p.grad is not None}
            norm = self._norm([g for n, g in by_name.items() if n not in self.expert_names],
                              [g for n, g in by_name.items() if n in self.expert_names])
            if self.clip > 0:
                torch._foreach_mul_(list(by_name.values()), (self.clip / (norm + 1e-6)).clamp(max=1.0))
        else:
            norm = torch.nn.utils.clip_grad_norm_(params, self.clip if self.clip > 0 else float("inf"))
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        if self.master is not None:
            with torch.no_grad():
                torch._foreach_copy_([p for _, p in self.named], self.master)
            for _, p in self.named:
                p.grad = None
        return norm

    @property
    def lr(self) -> float:
        return float(self.scheduler.get_last_lr()[0])

    def _weights(self) -> dict[str, torch.Tensor]:
        """This rank's weights (fp32 masters where there are some); expert-parallel shards stay local."""
        sd = {k: v.detach().float().cpu() for k, v in self.module.state_dict().items()}
        if self.master is not None:
            sd.update({n: m.detach().float().cpu() for (n, _), m in zip(self.named, self.master, strict=True)})
        return sd

    def _state_file(self, directory: Path, tag: str) -> Path:
        # expert parallelism: every rank holds different experts, so every rank keeps its own file
        return directory / tag / (f"engine_state_rank{self.rank}.pt" if self.ep is not None else "engine_state.pt")

    def save(self, directory: Path, tag: str) -> None:
        if self.rank == 0 or self.ep is not None:
            target = self._state_file(directory, tag)
            target.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {"model": self._weights(), "optimizer": self.optimizer.state_dict(),
                 "scheduler": self.scheduler.state_dict()},
                target,
            )

    def load(self, directory: Path, tag: str) -> None:
        state = torch.load(self._state_file(directory, tag), map_location="cpu", weights_only=False)
        self.module.load_state_dict(state["model"])
        if self.master is not None:
            with torch.no_grad():
                for (n, _), m in zip(self.named, self.master, strict=True):
                    m.copy_(state["model"][n])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])

    def full_state_dict(self, directory: Path | None = None, tag: str | None = None) -> dict[str, torch.Tensor] | None:
        if self.ep is not None:  # collective: every rank contributes its experts
            full = self.ep.gather_full_state(self._weights())
            return full if self.rank == 0 else None
        return self._weights() if self.rank == 0 else None


def build_engine(model: torch.nn.Module, config: TrainConfig, device: torch.device, bf16: bool,
                 expert_parallel: Any = None) -> Engine:
    """The configured engine. ``bf16``: bf16 weights (with fp32 masters in the torch engine: on GPU,
    or anywhere when ``precision: bf16`` is explicit). ``expert_parallel``: the
    :class:`xlam.training.expert_parallel.ExpertParallel` that sharded the model, if any."""
    if config.distributed.engine == "deepspeed":
        os.environ.setdefault("DS_ACCELERATOR", "cuda" if device.type == "cuda" else "cpu")
        return DeepSpeedEngine(model, config, bf16)
    return TorchEngine(model, config, device, bf16=bf16 and (device.type == "cuda" or config.precision == "bf16"),
                       expert_parallel=expert_parallel)

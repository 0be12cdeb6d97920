"""Mixed-precision AdamW over flat buffers: bf16 weights and gradients, fp32 master weights and moments.

Every trainable bf16 parameter of a group becomes a view into one flat bf16 buffer, and its
``.grad`` a view into one flat bf16 gradient buffer that autograd accumulates into in place (as
DDP's ``gradient_as_bucket_view``). The optimizer step is then, per group:

1. the global gradient norm: one read of the bf16 gradients (``vector_norm(..., dtype=float32)``);
2. the clip factor ``min(1, max_norm / (norm + 1e-6))`` on the device (no host sync);
3. one fused kernel (Triton on CUDA) that reads the bf16 gradient, the fp32 master weight and both
   moments, applies clipping and AdamW (torch's formula, decoupled weight decay), and writes the
   master, the moments and the bf16 weight: 28 bytes per parameter;
4. one memset of the gradient buffer.

The reference path (``perf.fused_optimizer: false``) upcasts every gradient into a new fp32 tensor,
clips them (norm + multiply), runs torch's fused AdamW on per-parameter fp32 masters and copies
them back to bf16: about 52 bytes per parameter, plus a host sync for the norm.

The learning rate lives in ``param_groups[i]["lr"]`` (LambdaLR drives it) and the moments in
``state`` keyed by the flat master tensor, so ``state_dict``/``load_state_dict`` are torch's own.
"""

from __future__ import annotations

import math
from typing import Any

import torch

from xlam.training.kernels import adamw_master_update

_BLOCK = 2048

try:  # Triton is there wherever CUDA torch is; CPU runs use the eager update
    import triton
    import triton.language as tl

    _SQRT_RN = hasattr(tl, "sqrt_rn")  # IEEE square root where this Triton has it

    @triton.jit  # type: ignore[untyped-decorator,unused-ignore]
    def _adamw_kernel(p_ptr, g_ptr, w_ptr, m_ptr, v_ptr, scal_ptr, n, beta1, beta2, eps, wd,  # type: ignore[no-untyped-def]
                      BLOCK: tl.constexpr, SQRT_RN: tl.constexpr):
        offs = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK)
        mask = offs < n
        lr = tl.load(scal_ptr)
        bc1 = tl.load(scal_ptr + 1)
        bc2_sqrt = tl.load(scal_ptr + 2)
        clip = tl.load(scal_ptr + 3)
        g = tl.load(g_ptr + offs, mask=mask, other=0.0).to(tl.float32) * clip
        w = tl.load(w_ptr + offs, mask=mask, other=0.0)
        m = tl.load(m_ptr + offs, mask=mask, other=0.0)
        v = tl.load(v_ptr + offs, mask=mask, other=0.0)
        w = w * (1.0 - lr * wd)
        m = m + (1.0 - beta1) * (g - m)
        v = v * beta2 + (1.0 - beta2) * g * g
        if SQRT_RN:
            root = tl.sqrt_rn(v)
        else:
            root = tl.sqrt(v)
        denom = root / bc2_sqrt + eps
        w = w - (lr / bc1) * (m / denom)
        tl.store(w_ptr + offs, w, mask=mask)
        tl.store(m_ptr + offs, m, mask=mask)
        tl.store(v_ptr + offs, v, mask=mask)
        tl.store(p_ptr + offs, w.to(p_ptr.dtype.element_ty), mask=mask)

    HAVE_TRITON = True
except Exception:  # no triton (CPU wheels) or an incompatible one
    HAVE_TRITON = False


class FlatMasterAdamW(torch.optim.Optimizer):
    """AdamW with fp32 master weights for bf16 parameters, over flat buffers (see the module doc).

    ``groups``: ``[{"params": [(name, bf16 param, fp32 initial value)], "weight_decay": wd}]``.
    """

    def __init__(self, groups: list[dict[str, Any]], *, lr: float, betas: tuple[float, float], eps: float,
                 max_grad_norm: float) -> None:
        self.flat: list[dict[str, Any]] = []
        masters: list[dict[str, Any]] = []
        for group in groups:
            items = group["params"]
            if not items:
                continue
            device = items[0][1].device
            dtype = items[0][1].dtype
            total = sum(p.numel() for _, p, _ in items)
            pflat = torch.empty(total, dtype=dtype, device=device)
            gflat = torch.zeros(total, dtype=dtype, device=device)
            master = torch.empty(total, dtype=torch.float32, device=device)
            views: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = []
            offset = 0
            with torch.no_grad():
                for _, p, init in items:
                    n = p.numel()
                    master[offset:offset + n].copy_(init.reshape(-1))
                    pflat[offset:offset + n].copy_(master[offset:offset + n])
                    p.data = pflat[offset:offset + n].view_as(p)
                    p.grad = gflat[offset:offset + n].view_as(p)
                    views.append((p, p.grad, master[offset:offset + n].view_as(p)))
                    offset += n
            self.flat.append({"param": pflat, "grad": gflat, "views": views})
            masters.append({"params": [master], "weight_decay": group["weight_decay"]})
        super().__init__(masters, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": 0.0})
        self.max_grad_norm = max_grad_norm

    # --- views for the engine ---------------------------------------------------------------
    def master_views(self) -> list[torch.Tensor]:
        """fp32 master of every parameter, in the order given (views into the flat masters)."""
        return [m for f in self.flat for _, _, m in f["views"]]

    def _regather_grads(self) -> None:
        """Re-point any ``.grad`` that autograd replaced (e.g. after someone set it to None)."""
        for f in self.flat:
            for p, view, _ in f["views"]:
                if p.grad is None:
                    view.zero_()
                elif p.grad.data_ptr() != view.data_ptr():
                    view.copy_(p.grad)
                p.grad = view

    def grad_norm(self) -> torch.Tensor:
        self._regather_grads()
        norms = [torch.linalg.vector_norm(f["grad"], dtype=torch.float32) for f in self.flat]
        return torch.linalg.vector_norm(torch.stack(norms))  # type: ignore[no-any-return]

    @torch.no_grad()
    def step(self, closure: Any = None, norm: torch.Tensor | None = None) -> torch.Tensor:  # type: ignore[override]
        """Clip (by ``norm``, default the global norm over all groups) and update; returns the
        pre-clip norm (a device tensor)."""
        if norm is None:
            norm = self.grad_norm()
        clip = (self.max_grad_norm / (norm + 1e-6)).clamp(max=1.0) if self.max_grad_norm > 0 else torch.ones_like(norm)
        for f, group in zip(self.flat, self.param_groups, strict=True):
            master = group["params"][0]
            state = self.state[master]
            if not state:
                state["step"] = torch.zeros((), dtype=torch.float32)
                state["exp_avg"] = torch.zeros_like(master)
                state["exp_avg_sq"] = torch.zeros_like(master)
            state["step"] += 1
            t = int(state["step"].item())  # a CPU tensor: no device sync
            beta1, beta2 = group["betas"]
            lr = float(group["lr"])
            bc1 = 1 - beta1**t
            bc2_sqrt = math.sqrt(1 - beta2**t)
            wd = float(group["weight_decay"])
            if master.is_cuda and HAVE_TRITON:
                scalars = self._device_scalars(master.device, lr, bc1, bc2_sqrt, clip)
                n = master.numel()
                _adamw_kernel[(triton.cdiv(n, _BLOCK),)](
                    f["param"], f["grad"], master, state["exp_avg"], state["exp_avg_sq"], scalars, n,
                    beta1, beta2, group["eps"], wd, BLOCK=_BLOCK, SQRT_RN=_SQRT_RN)
            else:
                dev = master.device
                adamw_master_update(
                    f["param"], f["grad"], master, state["exp_avg"], state["exp_avg_sq"],
                    torch.full((), lr, device=dev), torch.full((), bc1, device=dev),
                    torch.full((), bc2_sqrt, device=dev), clip, beta1, beta2, group["eps"], wd)
        for f in self.flat:
            f["grad"].zero_()
        return norm

    @staticmethod
    def _device_scalars(device: torch.device, lr: float, bc1: float, bc2_sqrt: float,
                        clip: torch.Tensor) -> torch.Tensor:
        """[lr, bc1, bc2_sqrt, clip] on the device: the host values travel through pinned memory (an
        asynchronous copy; torch's caching host allocator keeps the block until the copy is done),
        the clip factor is copied device to device. A fresh tensor per group and step."""
        scalars = torch.empty(4, dtype=torch.float32, device=device)
        host = torch.tensor([lr, bc1, bc2_sqrt], dtype=torch.float32).pin_memory()
        scalars[:3].copy_(host, non_blocking=True)
        scalars[3:].copy_(clip.reshape(1))
        return scalars

    def zero_grad(self, set_to_none: bool = True) -> None:
        for f in self.flat:
            f["grad"].zero_()

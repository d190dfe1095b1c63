"""A user's optimizer object in the update chain.

Any object with ``init_state(params)`` and ``update(params, grads, state,
lr, is_weight, return_steps)`` (the methods of
:class:`skreg.optimizers.Optimizer`) can be passed as ``optimizer``. It is
not known to act on each coordinate alone, so it gets whole per-layer arrays:
the smooth penalty gradients are added first, its ``update`` takes the step,
and the elementwise proximal steps follow with the steps it reports.
"""

class CustomOptimizerStep:
    """The link that runs a user's optimizer object on the per-layer views.

    Parameters
    ----------
    optimizer : object
        Has ``init_state`` and ``update``.
    penalties : sequence
        The penalties (see :mod:`skreg.penalties`) whose gradients and
        elementwise proximal steps this link applies around the step.
    want_steps : bool
        Whether a later link needs the steps (a structured proximal step).
    """

    elementwise = False
    needs_steps = False

    def __init__(self, optimizer, penalties, want_steps):
        self.optimizer = optimizer
        self.penalties = [p for p in penalties if getattr(p, "elementwise", True)]
        self.with_prox = any(not p.is_smooth for p in self.penalties)
        self.want_steps = bool(want_steps)

    def apply(self, buffers, steps, lr, optimizer_state):
        """One step on ``buffers`` with the optimizer's own ``optimizer_state``
        dict; returns the steps it reports for the first layer (for the
        structured proximal links after it)."""
        coefs = buffers.coefs
        grads = buffers.grad_layers
        for penalty in self.penalties:
            for W, grad in zip(coefs, grads):
                penalty.add_gradient(W, grad)
        is_weight = [True] * len(coefs) + [False] * len(coefs)
        return_steps = self.with_prox or self.want_steps
        steps = self.optimizer.update(
            buffers.layers, grads, optimizer_state, lr, is_weight, return_steps=return_steps
        )
        if return_steps and (
            not isinstance(steps, (list, tuple)) or len(steps) != len(buffers.layers)
        ):
            raise TypeError(
                f"optimizer={type(self.optimizer).__name__}(): update(..., "
                "return_steps=True) must return one step-size array per parameter "
                f"array ({len(buffers.layers)}), which the proximal steps of l1_ratio "
                f"> 0 or group_alpha > 0 need; it returned {_describe(steps)}."
            )
        if self.with_prox:
            for penalty in self.penalties:
                for W, step in zip(coefs, steps):
                    penalty.prox(W, step)
        return steps[0] if return_steps else None


def _describe(value):
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)}"
    return repr(value) if value is None else f"a {type(value).__name__}"


__all__ = ["CustomOptimizerStep"]

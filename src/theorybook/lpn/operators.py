"""Linear forward operators with adjoints for the chapter's inverse problems (chapter 3).

Both act on image batches ``(batch, 1, n, n)`` with circular boundary conditions through the
orthonormal 2-D FFT (``torch.fft``), are scaled so that ‖A‖ ≤ 1, and provide ``adjoint`` (tested:
⟨Ax, y⟩ = ⟨x, Aᵀy⟩) and ``normal_solve`` for (AᵀA + ρI)x = b, the PnP-ADMM x-step.

* :class:`GaussianBlur`: circular convolution with a normalised Gaussian kernel of width σ_blur.
* :class:`CompressedSensing`: random ±1 signs, circular convolution with a random Gaussian
  filter, then keeping ``m`` of the n² entries: the paper's matrix-free CS operator.
* :class:`RadonCT`: sparse-view parallel-beam CT, an explicit matrix whose columns are the
  scikit-image Radon transforms (``skimage.transform.radon``) of the unit images, divided by its
  spectral norm; (AᵀA + ρI)⁻¹ by one cached eigendecomposition.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

import numpy as np
import torch
from scipy.sparse import csr_matrix
from scipy.sparse.linalg import LinearOperator, cg, svds

from theorybook.boundary import IntRange, PositiveInt, PositiveReal, Seed, checked
from theorybook.validation import one_of, positive_real

__all__ = ["CompressedSensing", "GaussianBlur", "LinearOp", "RadonCT", "operator_norm"]


def _check_images(x: torch.Tensor, n: int, what: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{what} expects a torch.Tensor, got {type(x).__name__}")
    if x.ndim != 4 or tuple(x.shape[1:]) != (1, n, n):
        raise ValueError(
            f"{what} expects images of shape (batch, 1, {n}, {n}), got {tuple(getattr(x, 'shape', ()))}"
        )


class LinearOp:
    """Base class: ``__call__`` (A), ``adjoint`` (Aᵀ), ``normal_solve`` ((AᵀA + ρI)⁻¹ b).

    Images are ``(batch, 1, n, n)``; measurements ``(batch, *measurement_shape)``.
    :meth:`check_images` and :meth:`check_measurements` check an argument against these shapes
    with a message naming it (the public solvers call them once, before their loops).
    """

    n: int
    measurement_shape: tuple[int, ...]

    def check_images(self, name: str, x: torch.Tensor) -> torch.Tensor:
        """``x`` itself if it is a batch of this operator's images, else ``ValueError`` naming
        ``name``."""
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, self.n, self.n):
            raise ValueError(
                f"{name} must hold images of {type(self).__name__}, shape (batch, 1, {self.n}, "
                f"{self.n}), got {tuple(x.shape)}"
            )
        return x

    def check_measurements(self, name: str, y: torch.Tensor) -> torch.Tensor:
        """``y`` itself if it is a batch of this operator's measurements, else ``ValueError``
        naming ``name``."""
        expected = tuple(self.measurement_shape)
        if y.ndim != len(expected) + 1 or tuple(y.shape[1:]) != expected:
            want = ", ".join(map(str, ("batch", *expected)))
            raise ValueError(
                f"{name} must hold measurements of {type(self).__name__}, shape ({want}), "
                f"got {tuple(y.shape)}"
            )
        return y

    def __call__(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(
            "LinearOp is an abstract base: use GaussianBlur, CompressedSensing or RadonCT"
        )

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError(
            "LinearOp is an abstract base: use GaussianBlur, CompressedSensing or RadonCT"
        )

    def normal(self, x: torch.Tensor) -> torch.Tensor:
        """AᵀA x."""
        return self.adjoint(self(x))

    def normal_solve(self, b: torch.Tensor, rho: float) -> torch.Tensor:
        """Solve (AᵀA + ρI)x = b by conjugate gradients (scipy), sample by sample as one block system."""
        rho = positive_real("rho", rho)
        shape, dtype = b.shape, b.dtype
        size = int(np.prod(shape))

        def matvec(v: np.ndarray) -> np.ndarray:
            t = torch.as_tensor(v.reshape(shape), dtype=torch.float64)
            return (self.normal(t) + rho * t).reshape(-1).numpy()

        op = LinearOperator((size, size), matvec=matvec, dtype=np.float64)
        sol, info = cg(
            op, b.detach().to(torch.float64).reshape(-1).cpu().numpy(), rtol=1e-10, maxiter=500
        )
        if info != 0:
            raise RuntimeError(
                f"conjugate gradients for (AᵀA + ρI)x = b did not converge (info={info}, rho={rho})"
            )
        return torch.as_tensor(sol.reshape(shape), dtype=dtype, device=b.device)


@checked
class GaussianBlur(LinearOp):
    """Circular Gaussian blur of ``n × n`` images with standard deviation ``sigma`` pixels.

    A = F⁻¹ diag(k̂) F with k̂ real and in (0, 1] (the kernel is symmetric and sums to 1), so
    A = Aᵀ, ‖A‖ = 1 and (AᵀA + ρI)⁻¹ is exact in the Fourier domain. The limits of ``sigma`` are
    handled: σ → 0 gives the identity (the kernel is a unit impulse once ``(d/σ)²`` overflows)
    and a huge σ the average over the image (a constant kernel).
    """

    def __init__(self, n: Annotated[int, IntRange(low=2)], sigma: PositiveReal) -> None:
        self.n, self.sigma = n, sigma
        self.measurement_shape = (1, n, n)
        d = np.minimum(np.arange(n), n - np.arange(n)).astype(np.float64)
        with np.errstate(over="ignore"):  # σ → 0: (d/σ)² = inf, exp(−inf) = 0, a unit impulse
            k1 = np.exp(-0.5 * (d / sigma) ** 2)
        kernel = np.outer(k1, k1)
        kernel /= kernel.sum()
        self.kernel = torch.as_tensor(kernel)
        self.spectrum = torch.fft.fft2(self.kernel).real  # symmetric kernel: real spectrum

    def _apply(self, x: torch.Tensor, spec: torch.Tensor) -> torch.Tensor:
        s = spec.to(device=x.device, dtype=x.dtype)
        return torch.fft.ifft2(torch.fft.fft2(x) * s).real

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.n, "GaussianBlur")
        return self._apply(x, self.spectrum)

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        _check_images(y, self.n, "GaussianBlur.adjoint")
        return self._apply(y, self.spectrum)

    def normal_solve(self, b: torch.Tensor, rho: float) -> torch.Tensor:
        rho = positive_real("rho", rho)
        _check_images(b, self.n, "GaussianBlur.normal_solve")
        return self._apply(b, 1.0 / (self.spectrum**2 + rho))


@checked
class CompressedSensing(LinearOp):
    """A = S C D: signs D = diag(±1), circular convolution C with a random Gaussian filter whose
    spectrum is scaled to max modulus 1, and S keeping ``m`` random pixels of the n² (seeded).

    Measurements have shape ``(batch, m)``; Aᵀ scatters them back and applies Cᵀ and D.
    """

    def __init__(
        self, n: Annotated[int, IntRange(low=2)], m: PositiveInt, *, seed: Seed = 0
    ) -> None:
        if m > n * n:
            raise ValueError(f"m must be <= n² = {n * n} (the number of pixels), got {m}")
        self.n, self.m = n, m
        self.measurement_shape = (m,)
        rng = np.random.default_rng(seed)
        self.signs = torch.as_tensor(rng.choice([-1.0, 1.0], size=(n, n)))
        spec = np.fft.fft2(rng.standard_normal((n, n)))
        self.spectrum = torch.as_tensor(spec / np.abs(spec).max())
        self.index = torch.as_tensor(np.sort(rng.choice(n * n, size=m, replace=False)))

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.n, "CompressedSensing")
        z = x * self.signs.to(x)
        z = torch.fft.ifft2(torch.fft.fft2(z) * self.spectrum.to(x.device)).real
        return z.reshape(x.shape[0], -1)[:, self.index.to(x.device)]

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"CompressedSensing.adjoint expects a tensor, got {type(y).__name__}")
        if y.ndim != 2 or y.shape[1] != self.m:
            raise ValueError(
                f"CompressedSensing.adjoint expects (batch, {self.m}), got {tuple(getattr(y, 'shape', ()))}"
            )
        full = torch.zeros(y.shape[0], self.n * self.n, dtype=y.dtype, device=y.device)
        full[:, self.index.to(y.device)] = y
        z = full.reshape(y.shape[0], 1, self.n, self.n)
        z = torch.fft.ifft2(torch.fft.fft2(z) * self.spectrum.conj().to(y.device)).real
        return z * self.signs.to(z)


@lru_cache(maxsize=4)
def _radon_matrix(n: int, angles: int) -> tuple[np.ndarray, float, tuple[int, int]]:
    """The raw Radon matrix (columns: radon of the unit images), its spectral norm, the
    sinogram shape. Built once per (n, angles) and cached."""
    from skimage.transform import radon

    theta = np.linspace(0.0, 180.0, angles, endpoint=False)
    columns = []
    unit = np.zeros((n, n))
    for j in range(n * n):
        unit.flat[j] = 1.0
        columns.append(radon(unit, theta=theta, circle=False).ravel())
        unit.flat[j] = 0.0
    matrix = np.stack(columns, axis=1)
    shape = radon(unit, theta=theta, circle=False).shape
    # the largest singular value of the sparse matrix by ARPACK (a full SVD is slow at 64²)
    sparse = csr_matrix(matrix)
    start = np.ones(min(sparse.shape))
    norm = svds(sparse, k=1, tol=0, v0=start, return_singular_vectors=False)[0]
    return matrix, float(norm), (int(shape[0]), int(shape[1]))


@checked
class RadonCT(LinearOp):
    """Sparse-view parallel-beam CT of ``n × n`` images from ``angles`` equispaced views.

    A = R/‖R‖₂ with R the matrix of ``skimage.transform.radon`` (``circle=False``) over
    θ = 0°, 180°/angles, …: column j is the sinogram of the j-th unit image, so A is exactly
    linear and Aᵀ is its transpose (⟨Ax, y⟩ = ⟨x, Aᵀy⟩ to rounding). scikit-image's unfiltered
    back-projection ``iradon(filter_name=None)`` equals (π / (2·angles))·Rᵀ up to its
    interpolation. Measurements have shape ``(batch, detectors·angles)`` in the row order of
    ``radon(x).ravel()``. :meth:`fbp` is filtered back-projection (``iradon``, ramp filter),
    the classical baseline; :meth:`normal_solve` is exact through the eigendecomposition of
    AᵀA, computed once.
    """

    def __init__(
        self, n: Annotated[int, IntRange(low=4)], angles: Annotated[int, IntRange(low=1, high=4096)]
    ) -> None:
        self.n, self.angles = n, angles
        raw, norm, shape = _radon_matrix(n, angles)
        self.scale = norm
        self.sinogram_shape = shape
        self.m = raw.shape[0]
        self.measurement_shape = (self.m,)
        self.theta = np.linspace(0.0, 180.0, angles, endpoint=False)
        self.matrix = torch.as_tensor(raw / norm)
        self._eig: tuple[torch.Tensor, torch.Tensor] | None = None

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _check_images(x, self.n, "RadonCT")
        return x.reshape(x.shape[0], -1) @ self.matrix.to(x).T

    def _check_measurements(self, y: torch.Tensor, what: str) -> None:
        if not isinstance(y, torch.Tensor):
            raise TypeError(f"{what} expects a tensor, got {type(y).__name__}")
        if y.ndim != 2 or y.shape[1] != self.m:
            raise ValueError(f"{what} expects (batch, {self.m}), got {tuple(y.shape)}")

    def adjoint(self, y: torch.Tensor) -> torch.Tensor:
        self._check_measurements(y, "RadonCT.adjoint")
        return (y @ self.matrix.to(y)).reshape(y.shape[0], 1, self.n, self.n)

    def normal_solve(self, b: torch.Tensor, rho: float) -> torch.Tensor:
        rho = positive_real("rho", rho)
        _check_images(b, self.n, "RadonCT.normal_solve")
        if self._eig is None:
            evals, evecs = torch.linalg.eigh(self.matrix.T @ self.matrix)
            self._eig = (evals.clamp_min(0.0), evecs)
        evals, evecs = (t.to(b) for t in self._eig)
        flat = b.reshape(b.shape[0], -1)
        return (((flat @ evecs) / (evals + rho)) @ evecs.T).reshape(b.shape)

    def fbp(self, y: torch.Tensor, *, filter_name: str = "ramp") -> torch.Tensor:
        """Filtered back-projection (``skimage.transform.iradon``) of measurements ``y``."""
        from skimage.transform import iradon

        self._check_measurements(y, "RadonCT.fbp")
        one_of("filter_name", filter_name, ("ramp", "shepp-logan", "cosine", "hamming", "hann"))
        sino = (y.detach().cpu().double() * self.scale).numpy()
        out = [
            iradon(
                s.reshape(self.sinogram_shape),
                theta=self.theta,
                filter_name=filter_name,
                circle=False,
                output_size=self.n,
            )
            for s in sino
        ]
        return torch.as_tensor(np.stack(out)[:, None], dtype=y.dtype, device=y.device)


@checked
def operator_norm(op: LinearOp, *, iters: PositiveInt = 200, seed: Seed = 0) -> float:
    """‖A‖₂ by ``iters`` ≥ 1 power iterations on AᵀA (float64), from a seeded random start.

    An operator that maps the iterate to zero (AᵀA x = 0 exactly) has the estimate 0.

    Arguments:
        op: the operator A.
        iters: the number of power iterations.
        seed: the seed of the random start.

    Returns:
        The estimate of the largest singular value of A.
    """
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(1, 1, op.n, op.n, generator=gen, dtype=torch.float64)
    for _ in range(iters):
        x = op.normal(x)
        norm = x.norm()
        if norm == 0:  # AᵀA x = 0: x lies in the null space, the power iteration stops at 0
            return 0.0
        x = x / norm
    return float(op.normal(x).norm().sqrt())

"""Synthetic fingerprints for training: master fingers and their impressions, made from
nothing but a seed (no real person's prints, no data files), in the way of SFinGe
(Cappelli, Maio and Maltoni, "Synthetic fingerprint-image generation", ICPR 2000).

A master finger is a ridge pattern on a finger silhouette: an orientation field from a
zero-pole model of its singular points (Sherlock and Monro, 1993) for one of five pattern
classes, a smooth ridge-period map of about 9 pixels at 500 ppi, and ridges grown from
random noise by repeated contextual Gabor filtering along that field until they settle.
An impression of it is one touch on a 500 ppi sensor: a contact region, pressure (ridge
thickness), a non-linear (elastic) distortion around the contact centre, rotation and
translation, noise and background. The same seeds give the same pixels.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import fft as sfft
from scipy import ndimage as ndi

PATTERNS = ("arch", "tented_arch", "left_loop", "right_loop", "whorl")
QUALITIES = ("good", "poor")
POOR_KINDS = ("smudged", "faint", "blank")  # the ways a "poor" impression fails

# The master canvas (height, width) in pixels at 500 ppi: a fingertip of about 22 x 26 mm.
MASTER_SHAPE = (512, 448)
# The impression's size, that of FVC2002 DB1 (388 x 374) rounded.
IMPRESSION_SHAPE = (400, 400)
MEAN_PERIOD = 9.0  # ridge period in pixels at 500 ppi
_N_ORIENT = 16  # orientation bins of the Gabor filter bank
_PERIODS = (7.8, 10.4)  # the bank's two periods, blended per pixel for the period map
_ITERATIONS = 10
_SIGMA_ALONG = 6.0  # Gabor envelope along and across the ridges
_SIGMA_ACROSS = 4.0


@dataclass(frozen=True)
class MasterFinger:
    """One synthetic finger: its ridge pattern, deterministic from the seed.

    `ridges` is the ridge signal on the master canvas (positive on ridges, about -1..1),
    `mask` the finger silhouette, `orientation` the ridge orientation (image angle, radians
    in [0, pi)), `period` the ridge period in pixels; `cores` and `deltas` the singular
    points, (x, y) in canvas pixels."""

    seed: int
    pattern: str
    ridges: np.ndarray = field(repr=False, compare=False)
    mask: np.ndarray = field(repr=False, compare=False)
    orientation: np.ndarray = field(repr=False, compare=False)
    period: np.ndarray = field(repr=False, compare=False)
    cores: tuple[tuple[float, float], ...] = ()
    deltas: tuple[tuple[float, float], ...] = ()

    @property
    def centre(self) -> tuple[float, float]:
        """Centre (x, y) of the silhouette's pad, where impressions are centred."""
        ys, xs = np.nonzero(self.mask)
        return float(xs.mean()), float(ys.mean()) - 20.0


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], scale: float) -> np.ndarray:
    """Gaussian-smoothed white noise with unit standard deviation, of correlation length
    `scale` pixels (computed on a coarse grid and enlarged, for speed)."""
    step = max(1, int(scale // 4))
    small = (shape[0] // step + 2, shape[1] // step + 2)
    n = ndi.gaussian_filter(rng.standard_normal(small), scale / step, mode="wrap")
    n /= max(float(n.std()), 1e-9)
    big = ndi.zoom(n, step, order=1)
    return np.asarray(big[: shape[0], : shape[1]], dtype=np.float64)


def _singular_points(
    pattern: str, rng: np.random.Generator, cx: float, cy: float
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Cores and deltas of a pattern class around the pad centre (cx, cy)."""
    jx, jy = rng.uniform(-35, 35), rng.uniform(-40, 30)
    if pattern == "arch":
        return [], []
    if pattern == "tented_arch":
        gap = rng.uniform(55, 80)
        x = cx + jx
        return [(x, cy + jy - gap / 2)], [(x + rng.uniform(-6, 6), cy + jy + gap / 2)]
    if pattern in ("left_loop", "right_loop"):
        side = 1.0 if pattern == "left_loop" else -1.0
        core = (cx + jx - side * 35, cy + jy - 40)
        delta = (core[0] + side * rng.uniform(70, 160), core[1] + rng.uniform(90, 180))
        return [core], [delta]
    # whorl: two cores stacked, a delta on each side below
    gap = rng.uniform(20, 50)
    tilt = rng.uniform(-10, 10)
    x, y = cx + jx, cy + jy - 30
    cores = [(x - tilt, y - gap / 2), (x + tilt, y + gap / 2)]
    drop = rng.uniform(100, 150)
    deltas = [(x - rng.uniform(110, 150), y + drop + rng.uniform(-15, 15)),
              (x + rng.uniform(110, 150), y + drop + rng.uniform(-15, 15))]
    return cores, deltas


def _orientation_field(
    pattern: str, rng: np.random.Generator, shape: tuple[int, int], cx: float, cy: float
) -> tuple[np.ndarray, list[tuple[float, float]], list[tuple[float, float]]]:
    """Ridge orientation (image angle in [0, pi)) from the zero-pole model of the pattern's
    singular points: theta = theta0 + 1/2 (sum of arg(z - delta) - sum of arg(z - core));
    an arch, without singular points, gets a hump-shaped analytic field."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cores, deltas = _singular_points(pattern, rng, cx, cy)
    # The model is evaluated on smoothly displaced coordinates: the same singular points,
    # a differently bent flow between them for every finger.
    xx = xx + 36.0 * _smooth_noise(rng, shape, 110.0)
    yy = yy + 36.0 * _smooth_noise(rng, shape, 110.0)
    if pattern == "arch":
        u = (xx - cx - rng.uniform(-20, 20)) / rng.uniform(90, 130)
        v = np.exp(-(((yy - cy - rng.uniform(0, 60)) / rng.uniform(150, 220)) ** 2))
        theta = np.arctan(rng.uniform(0.9, 1.4) * u * np.exp(-0.5 * u * u) * v)
    else:
        theta = np.zeros(shape)
        # With y pointing down the signs are the other way round from the paper's. Each
        # singular point's angle goes through its own smooth monotone remapping (the
        # correction of Vizcaya and Gerhardt that SFinGe uses), so that fingers of one
        # class differ in the shape of their flow, not only in where the points lie.
        for sign, points in ((0.5, cores), (-0.5, deltas)):
            for x0, y0 in points:
                a = np.arctan2(yy - y0, xx - x0)
                c = rng.uniform(-0.45, 0.45, size=2)
                d = rng.uniform(-0.08, 0.08, size=2)
                a = (a + c[0] * np.sin(a) + c[1] * (np.cos(a) + 1.0) + d[0] * np.sin(2 * a)
                     + d[1] * (np.cos(2 * a) - 1.0))
                theta += sign * a
    theta = (theta + 0.25 * _smooth_noise(rng, shape, 70.0)
             + 0.25 * _smooth_noise(rng, shape, 25.0))
    return np.mod(theta, np.pi), cores, deltas


def _silhouette(rng: np.random.Generator, shape: tuple[int, int]) -> tuple[np.ndarray, float, float]:
    """Finger silhouette: an ellipse for the rounded tip, open towards the bottom of the
    canvas (the rest of the finger), its outline perturbed a little."""
    h, w = shape
    cx = w / 2 + rng.uniform(-8, 8)
    ax = rng.uniform(175, 205)
    ay = rng.uniform(215, 245)
    cy = 28 + ay
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    dy = np.where(yy > cy, (yy - cy) * 0.35, yy - cy)  # flatter towards the finger's base
    r = np.sqrt(((xx - cx) / ax) ** 2 + (dy / ay) ** 2)
    r += 0.03 * _smooth_noise(rng, shape, 50.0)
    return r < 1.0, cx, cy


def _gabor_bank(shape: tuple[int, int]) -> np.ndarray:
    """Real-FFT spectra of the Gabor filters, [period, orientation, ...], on a canvas of
    `shape` (circular convolution; the ridges near the frame do not matter)."""
    h, w = shape
    half = math.ceil(3 * _SIGMA_ALONG)
    yy, xx = np.mgrid[-half:half + 1, -half:half + 1].astype(np.float64)
    out = np.empty((len(_PERIODS), _N_ORIENT, h, w // 2 + 1), dtype=np.complex64)
    for i, period in enumerate(_PERIODS):
        for k in range(_N_ORIENT):
            t = k * np.pi / _N_ORIENT
            along = xx * math.cos(t) + yy * math.sin(t)
            across = -xx * math.sin(t) + yy * math.cos(t)
            g = np.exp(-0.5 * ((along / _SIGMA_ALONG) ** 2 + (across / _SIGMA_ACROSS) ** 2))
            g *= np.cos(2 * np.pi * across / period)
            g -= g.mean()
            g /= np.abs(g).sum()
            pad = np.zeros(shape)
            pad[: 2 * half + 1, : 2 * half + 1] = g
            pad = np.roll(pad, (-half, -half), axis=(0, 1))
            out[i, k] = sfft.rfft2(pad)
    return out


_BANK: dict[tuple[int, int], np.ndarray] = {}


def _bank(shape: tuple[int, int]) -> np.ndarray:
    if shape not in _BANK:
        _BANK[shape] = _gabor_bank(shape)
    return _BANK[shape]


def _grow_ridges(
    rng: np.random.Generator, theta: np.ndarray, period: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Ridges grown from noise: filtered again and again with the Gabor filter of each
    pixel's orientation and period (blended between the bank's neighbouring filters),
    pushed towards +-1 after each pass, until the pattern has settled."""
    shape = theta.shape
    bank = _bank((int(shape[0]), int(shape[1])))
    # Each pixel takes the filters of its two nearest orientations and both periods, with
    # linear weights: the flat pixel indices and weights of each filter, computed once.
    pos = (theta * (_N_ORIENT / np.pi)).ravel()
    k0 = np.floor(pos).astype(np.int64) % _N_ORIENT
    k1 = (k0 + 1) % _N_ORIENT
    wk = pos - np.floor(pos)
    wp = np.clip((1.0 / period.ravel() - 1.0 / _PERIODS[0])
                 / (1.0 / _PERIODS[1] - 1.0 / _PERIODS[0]), 0.0, 1.0)
    uses: list[tuple[int, int, np.ndarray, np.ndarray]] = []
    for k in range(_N_ORIENT):
        idx = np.concatenate([np.flatnonzero(k0 == k), np.flatnonzero(k1 == k)])
        wo = np.concatenate([1.0 - wk[k0 == k], wk[k1 == k]])
        if idx.size == 0:
            continue
        order = np.argsort(idx, kind="stable")
        idx, wo = idx[order], wo[order]
        for i in range(len(_PERIODS)):
            wi = (1.0 - wp[idx]) if i == 0 else wp[idx]
            uses.append((i, k, idx, (wo * wi).astype(np.float32)))
    # From white noise: the first passes turn it into short ridge fragments along the
    # field, the later ones join them, and where fragments meet out of step a ridge ends or
    # forks (the minutiae, at random places of each finger).
    x = rng.standard_normal(shape).astype(np.float32)
    for it in range(_ITERATIONS):
        spec = sfft.rfft2(x, workers=1)
        flat = np.zeros(shape[0] * shape[1], dtype=np.float32)
        for i, k, idx, wgt in uses:
            f = sfft.irfft2(spec * bank[i, k], s=shape, workers=1).ravel()
            flat[idx] += wgt * f[idx]
        y = flat.reshape(shape)
        y /= float(np.std(y[mask])) + 1e-9
        # A soft clip between passes, as SFinGe's: ridges saturate and sharpen.
        x = np.tanh(1.5 * y) if it < _ITERATIONS - 1 else y
    # Normalise by the local amplitude so that a threshold sets the ridge width evenly.
    env = np.sqrt(ndi.gaussian_filter(x * x, 6.0)) + 1e-6
    out: np.ndarray = np.clip(x / (1.41 * env), -1.5, 1.5).astype(np.float32)
    return out


def master_finger(seed: int, *, pattern: str | None = None) -> MasterFinger:
    """The master finger of `seed`; its pattern class drawn from the seed too unless given
    (one of PATTERNS), in about the frequencies of real fingers."""
    if pattern is not None and pattern not in PATTERNS:
        raise ValueError(f"pattern {pattern!r}: expected one of {', '.join(PATTERNS)}")
    rng = np.random.default_rng([0x5F1, *_seed_words(seed)])
    drawn = str(rng.choice(PATTERNS, p=[0.04, 0.05, 0.33, 0.30, 0.28]))
    pattern = pattern or drawn
    shape = MASTER_SHAPE
    mask, cx, cy = _silhouette(rng, shape)
    theta, cores, deltas = _orientation_field(pattern, rng, shape, cx, cy)
    period = (MEAN_PERIOD * rng.uniform(0.9, 1.1) + 0.45 * _smooth_noise(rng, shape, 80.0)
              + 0.35 * _smooth_noise(rng, shape, 30.0))
    ridges = _grow_ridges(rng, theta, period, mask)
    return MasterFinger(
        seed=int(seed), pattern=pattern, ridges=ridges, mask=mask,
        orientation=theta.astype(np.float32), period=period.astype(np.float32),
        cores=tuple(cores), deltas=tuple(deltas),
    )


def _warp_coordinates(
    rng: np.random.Generator, master: MasterFinger, out_shape: tuple[int, int]
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[float, float], float]:
    """Master-canvas coordinates (ys, xs) of each impression pixel: rotation, translation
    and an elastic distortion that grows away from the contact centre (none there, full
    beyond the contact's core, as in Cappelli's plastic-distortion model). Also the contact
    centre in impression pixels and the rotation."""
    h, w = out_shape
    mcx, mcy = master.centre
    m0 = np.array([mcx + rng.uniform(-20, 20), mcy + rng.uniform(-25, 25)])
    alpha = math.radians(rng.uniform(-20, 20))
    t = np.array([rng.uniform(-30, 30), rng.uniform(-30, 30)])
    c_out = np.array([w / 2, h / 2]) + t
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    px, py = xx - c_out[0], yy - c_out[1]
    ca, sa = math.cos(alpha), math.sin(alpha)
    # Inverse rotation of the offset from the contact centre.
    qx = ca * px + sa * py
    qy = -sa * px + ca * py
    r = np.hypot(qx, qy)
    r0, r1 = rng.uniform(50, 80), rng.uniform(170, 220)
    ramp = np.clip((r - r0) / (r1 - r0), 0.0, 1.0)
    ramp = ramp * ramp * (3 - 2 * ramp)
    beta = math.radians(rng.uniform(-4, 4))
    shift = rng.uniform(-7, 7, size=2)
    cb, sb = math.cos(beta), math.sin(beta)
    dx = (cb * qx - sb * qy - qx + shift[0]) * ramp
    dy = (sb * qx + cb * qy - qy + shift[1]) * ramp
    amp = 2.5
    dx += amp * _smooth_noise(rng, out_shape, 45.0) * (0.3 + ramp)
    dy += amp * _smooth_noise(rng, out_shape, 45.0) * (0.3 + ramp)
    return (m0[1] + qy + dy, m0[0] + qx + dx), (float(c_out[0]), float(c_out[1])), alpha


def _contact(
    rng: np.random.Generator, shape: tuple[int, int], centre: tuple[float, float], alpha: float,
    full: bool,
) -> np.ndarray:
    """How firmly the finger touched each point of the sensor (0 outside the contact, 1 well
    inside it): an ellipse about the contact centre with an irregular outline, firm
    contact falling off over the last 30-40 pixels (the finger curving away)."""
    h, w = shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    px, py = xx - centre[0], yy - centre[1]
    ca, sa = math.cos(alpha), math.sin(alpha)
    u = ca * px + sa * py
    v = -sa * px + ca * py
    if full:
        ax, ay = rng.uniform(130, 165), rng.uniform(165, 200)
        off = rng.uniform(-30, 30, size=2)
    else:
        ax, ay = rng.uniform(24, 36), rng.uniform(30, 44)
        off = rng.uniform(-60, 60, size=2)
    rr = np.sqrt(((u - off[0]) / ax) ** 2 + ((v - off[1]) / ay) ** 2)
    rr += 0.07 * _smooth_noise(rng, shape, 35.0) + 0.03 * _smooth_noise(rng, shape, 10.0)
    fall = (rng.uniform(30, 40) if full else rng.uniform(6, 10)) / max(ax, ay)
    firm: np.ndarray = np.clip((1.0 - rr) / fall, 0.0, 1.0)
    return firm


def impression(master: MasterFinger, seed: int, *, quality: str = "good") -> np.ndarray:
    """One impression of `master`: a 400 x 400 uint8 grey image at 500 ppi, dark ridges on
    a light background. Each `seed` places, turns, distorts and presses the finger
    differently. quality="good" gives a capture that passes the enrolment gate,
    quality="poor" one that fails it (smudged, very faint or mostly blank)."""
    if quality not in QUALITIES:
        raise ValueError(f"quality {quality!r}: expected one of {', '.join(QUALITIES)}")
    return _impression(master, seed, quality == "good")


def _seed_words(seed: int) -> list[int]:
    return [int(seed) & 0xFFFFFFFF, (int(seed) >> 32) & 0xFFFFFFFF]


def _impression(master: MasterFinger, seed: int, good: bool, kind: str | None = None) -> np.ndarray:
    """`impression`, with the way a poor one fails (one of POOR_KINDS) chosen by the caller
    when `kind` is given instead of by the seed."""
    rng = np.random.default_rng([0x1A9, *_seed_words(master.seed), *_seed_words(seed), int(good)])
    shape = IMPRESSION_SHAPE
    drawn = str(rng.choice(POOR_KINDS))
    poor_mode = "" if good else (kind or drawn)
    (ys, xs), centre, alpha = _warp_coordinates(rng, master, shape)
    coords = np.stack([ys, xs])
    signal = ndi.map_coordinates(master.ridges, coords, order=1, mode="constant", cval=0.0)
    inside = ndi.map_coordinates(master.mask.astype(np.float32), coords, order=1,
                                 mode="constant", cval=0.0) > 0.5
    firm = np.minimum(_contact(rng, shape, centre, alpha, good or poor_mode != "blank"),
                      np.clip(ndi.distance_transform_edt(inside) / 35.0, 0.0, 1.0))
    # Pressure: a higher threshold thins the ridges (light touch, dry finger), a lower one
    # thickens them (heavy touch); it also varies across the contact.
    tau = rng.uniform(-0.25, 0.3) + 0.12 * _smooth_noise(rng, shape, 70.0)
    tau = tau + 1.5 * (1.0 - firm) ** 1.5  # ridges thin out and break up at the edge
    ridge = 1.0 / (1.0 + np.exp(-(signal - tau) * 6.0))
    # Dry spots and pores: small light specks on the ridges.
    specks = _smooth_noise(rng, shape, 2.5) > rng.uniform(2.4, 3.0)
    ridge = np.where(specks, ridge * 0.4, ridge)
    ridge = ndi.gaussian_filter(ridge, rng.uniform(0.6, 1.0))
    background = rng.uniform(205, 240)
    dark = rng.uniform(25, 80)
    noise = rng.uniform(3.0, 8.0)
    touched = firm > 0
    if poor_mode == "smudged":
        # A wet, smeared finger: the ridges run together into a dark blot.
        blot = ndi.gaussian_filter(rng.standard_normal(shape), rng.uniform(2.0, 3.0))
        blot /= max(float(blot.std()), 1e-9)
        ridge = 0.95 + 0.07 * blot + 0.05 * ndi.gaussian_filter(ridge, 2.0)
        dark = rng.uniform(0, 6)
        firm = np.clip(firm * 4.0, 0.0, 1.0)
    elif poor_mode == "faint":
        # A dry finger barely touching: a ghost of the ridges on a white field.
        background = rng.uniform(252, 255)
        dark = background - rng.uniform(10, 14)
        noise = rng.uniform(0.5, 1.0)
    depth = (background - dark) * np.clip(ridge, 0, 1.2) * (0.4 + 0.6 * firm) * touched
    # Sensor noise, strongest where the finger touches; a clean, slightly uneven
    # background elsewhere (as on an optical sensor).
    grain = rng.standard_normal(shape) * (1.0 + noise * np.minimum(1.0, 3.0 * firm))
    img = background - depth + grain + 2.0 * _smooth_noise(rng, shape, 90.0)
    if not good:
        # Poor, yet not so uniform that the decoder refuses it as blank: the enrolment gate
        # is what must turn it down (and name the reason for the retake).
        img = np.clip(np.rint(img), 0, 255)
        spread = float(img.std())
        if spread < 6.0:
            level = float(np.median(img))
            img = level - (level - img) * (6.5 / max(spread, 1e-3))
    pixels: np.ndarray = np.clip(np.rint(img), 0, 255).astype(np.uint8)
    return pixels


def to_png(image: np.ndarray) -> bytes:
    """PNG bytes of a uint8 grey image, with its 500 ppi written in the file."""
    from PIL import Image

    buf = io.BytesIO()
    pixels = np.asarray(image, dtype=np.uint8)
    if pixels.ndim != 2:
        raise ValueError(f"expected a 2-D grey image, got shape {pixels.shape}")
    Image.fromarray(pixels).save(buf, format="PNG", dpi=(500, 500))
    return buf.getvalue()

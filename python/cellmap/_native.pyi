"""Type stubs of the compiled module ``cellmap._native`` (see ``src/lib.rs``).

Arrays are 2-D C-contiguous: masks ``bool`` or ``uint8``, labels ``int32``,
values ``float32``; the public wrappers in ``cellmap`` convert anything else.
"""

import numpy as np
import numpy.typing as npt

Mask = npt.NDArray[np.bool_] | npt.NDArray[np.uint8]
Summary = tuple[
    int, int, int, int,
    npt.NDArray[np.uint64], npt.NDArray[np.uint32],
    npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32],
]

def fill_holes(mask: Mask) -> npt.NDArray[np.bool_]: ...
def label(mask: Mask, connectivity: int, fill_holes: bool) -> tuple[npt.NDArray[np.int32], int]: ...
def cell_stats_dense(
    labels: npt.NDArray[np.int32],
    values: npt.NDArray[np.float32],
    n_cells: int | None,
    stat: str,
    skip_zeros: bool,
    within: Mask | None = None,
) -> npt.NDArray[np.float64]: ...
def cell_gene_stats_csr(
    labels: npt.NDArray[np.int32],
    indptr: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    indices: npt.NDArray[np.int32] | npt.NDArray[np.int64],
    data: npt.NDArray[np.float32] | npt.NDArray[np.float64],
    n_genes: int,
    n_cells: int | None,
    stat: str,
    skip_zeros: bool,
) -> npt.NDArray[np.float64]: ...
def regions(
    labels: npt.NDArray[np.int32], n_cells: int | None
) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[np.int64]]: ...
def assign(
    labels: npt.NDArray[np.int32],
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    scale: float,
    max_distance: float | None = None,
) -> npt.NDArray[np.int64]: ...
def label_tile(mask: Mask, connectivity: int, fill_holes: bool) -> tuple[npt.NDArray[np.int32], Summary]: ...
def merge_tiles(
    rows: list[int],
    cols: list[int],
    summaries: list[Summary],
    connectivity: int,
    fill_holes: bool,
    numbering: str,
) -> tuple[int, list[npt.NDArray[np.int32]]]: ...
def relabel(local: npt.NDArray[np.int32], lut: npt.NDArray[np.int32]) -> npt.NDArray[np.int32]: ...
def cell_stats_partial(
    labels: npt.NDArray[np.int32], values: npt.NDArray[np.float32], skip_zeros: bool
) -> tuple[
    npt.NDArray[np.int32], npt.NDArray[np.uint64], npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]
]: ...

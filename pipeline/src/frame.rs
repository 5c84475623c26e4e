//! Coordinate frames: from a transcript table's (x, y) to pixel (column,
//! row) of the label image.
//!
//! In this order: an affine [`Transform`] (identity by default) maps the
//! table's `(x, y)` to `(x', y')`; both are divided by `scale` (table units
//! per pixel after the transform); then [`Rounding`] picks the pixel:
//! `floor` (pixel `i` covers `[i, i + 1)`, so −0.5 is outside the image) or
//! `nearest` (pixel `i` covers `[i − 0.5, i + 0.5)`).
//!
//! Examples: MERSCOPE µm with its `micron_to_mosaic_pixel_transform.csv`
//! (scale 1); CosMx local pixels (y up) in an image of height H:
//! `1,0,0;0,-1,H`.

use cellmap_core::Grid;
use cellmap_core::assign::{assign_points, nearest_cell_map, nearest_cell_map_scratch_len};

use crate::assign::{AssignSummary, Assignment};
use crate::memory::filled;
use crate::{Error, LabelImage};

/// An affine map `(x, y) ↦ (a·x + b·y + c, d·x + e·y + f)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Transform(pub [[f64; 3]; 2]);

impl Default for Transform {
    fn default() -> Self {
        Transform::IDENTITY
    }
}

impl Transform {
    /// The identity.
    pub const IDENTITY: Transform = Transform([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);

    /// Parses 2×3 or 3×3 numbers: rows separated by `;` or line breaks,
    /// numbers by `,`, tabs or spaces (MERSCOPE's
    /// `micron_to_mosaic_pixel_transform.csv` is 3 lines of 3
    /// space-separated numbers). A third row must be `0 0 1`.
    ///
    /// ```
    /// use cellmap::Transform;
    /// let t = Transform::parse("1,0,0;0,-1,100")?;
    /// assert_eq!(t.apply(3.0, 10.0), (3.0, 90.0));
    /// let m = Transform::parse("9.259 0 -100\n0 9.259 50\n0 0 1\n")?;
    /// assert_eq!(m.apply(0.0, 0.0), (-100.0, 50.0));
    /// assert!(Transform::parse("1,0,0;0,1,0;1,0,1").is_err());
    /// # Ok::<(), String>(())
    /// ```
    pub fn parse(text: &str) -> Result<Transform, String> {
        let rows: Vec<Vec<f64>> = text
            .split([';', '\n'])
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| {
                r.split([',', ' ', '\t'])
                    .filter(|v| !v.is_empty())
                    .map(|v| v.trim().parse::<f64>().map_err(|_| format!("{v:?} is not a number")))
                    .collect::<Result<Vec<f64>, String>>()
            })
            .collect::<Result<_, _>>()?;
        if !(rows.len() == 2 || rows.len() == 3) || rows.iter().any(|r| r.len() != 3) {
            return Err(format!(
                "an affine transform is 2×3 or 3×3 numbers (\"a,b,c;d,e,f\"), got {} rows of {:?} numbers",
                rows.len(),
                rows.iter().map(Vec::len).collect::<Vec<_>>()
            ));
        }
        if rows.len() == 3 && rows[2] != [0.0, 0.0, 1.0] {
            return Err(format!("the third row of an affine transform must be 0,0,1, got {:?}", rows[2]));
        }
        if rows.iter().flatten().any(|v| !v.is_finite()) {
            return Err("the transform has a number that is not finite".into());
        }
        Ok(Transform([[rows[0][0], rows[0][1], rows[0][2]], [rows[1][0], rows[1][1], rows[1][2]]]))
    }

    /// `(x, y)` mapped.
    #[inline(always)]
    pub fn apply(&self, x: f64, y: f64) -> (f64, f64) {
        let [[a, b, c], [d, e, f]] = self.0;
        (a * x + b * y + c, d * x + e * y + f)
    }
}

/// How a pixel coordinate becomes a pixel index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rounding {
    /// `floor` (pixel `i` covers `[i, i + 1)`).
    #[default]
    Floor,
    /// Round to nearest (pixel `i` covers `[i − 0.5, i + 0.5)`).
    Nearest,
}

/// The frame of a transcript table: see the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Frame {
    /// Applied first, in table units.
    pub transform: Transform,
    /// Units per pixel after the transform (1 when `transform` gives pixels).
    pub scale: f64,
    /// Pixel coordinate → index.
    pub rounding: Rounding,
}

/// The bounding box of points in pixel coordinates (after the frame, before rounding).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    /// Smallest and largest column coordinate.
    pub x: (f64, f64),
    /// Smallest and largest row coordinate.
    pub y: (f64, f64),
}

/// [`assign_transcripts`](crate::assign_transcripts) through a [`Frame`],
/// `CHUNK` points at a time (memory: the cell ids plus two chunk buffers);
/// also returns the points' bounding box in pixels (`None` when there are
/// no finite points).
///
/// ```
/// use cellmap::{Frame, Image, LabelImage, Rounding, Transform, assign_in_frame};
/// let labels = LabelImage::new(Image::new(3, 2, vec![1, 0, 2, 3, 3, 3])?)?;
/// // y up: row = 2 - y.
/// let frame = Frame { transform: Transform::parse("1,0,0;0,-1,2").unwrap(), scale: 1.0, rounding: Rounding::Floor };
/// let (a, bounds) = assign_in_frame(&labels, &[0.5, 2.5, -0.5], &[1.5, 0.5, 1.0], frame, None)?;
/// assert_eq!(a.cell_ids, [1, 3, u32::MAX]);
/// assert_eq!(bounds.unwrap().x, (-0.5, 2.5));
/// let nearest = Frame { rounding: Rounding::Nearest, ..Frame { scale: 1.0, ..Frame::default() } };
/// let (a, _) = assign_in_frame(&labels, &[-0.4, 1.6], &[0.0, 0.4], nearest, None)?;
/// assert_eq!(a.cell_ids, [1, 2]);
/// # Ok::<(), cellmap::Error>(())
/// ```
pub fn assign_in_frame(
    labels: &LabelImage,
    x: &[f64],
    y: &[f64],
    frame: Frame,
    max_distance: Option<f64>,
) -> Result<(Assignment, Option<Bounds>), Error> {
    const CHUNK: usize = 1 << 14;
    if x.len() != y.len() {
        return Err(Error::input(format!("{} x and {} y coordinates", x.len(), y.len())));
    }
    if !(frame.scale.is_finite() && frame.scale > 0.0) {
        return Err(Error::input("the scale must be finite and > 0".to_string()));
    }
    let core = |e| Error::core("transcript assignment", e);
    let mut cell_ids = filled(x.len(), 0u32, "the transcript cell ids")?;
    let grid = labels.labels().grid();
    let (width, height) = (labels.width(), labels.height());
    let nearest = match max_distance {
        Some(radius) => {
            let mut nearest = filled(grid.len(), 0u32, "the nearest-cell map")?;
            let mut scratch =
                filled(nearest_cell_map_scratch_len(width, height), 0u32, "the nearest-cell scratch")?;
            nearest_cell_map(grid, radius, &mut nearest, &mut scratch).map_err(core)?;
            Some(nearest)
        }
        None => None,
    };
    let half = if frame.rounding == Rounding::Nearest { 0.5 } else { 0.0 };
    let identity = frame.transform == Transform::IDENTITY;
    let (mut px, mut py) = (vec![0f64; CHUNK.min(x.len())], vec![0f64; CHUNK.min(x.len())]);
    let mut summary = AssignSummary::default();
    let (mut lo_x, mut hi_x, mut lo_y, mut hi_y) =
        (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for ((xs, ys), cells) in x.chunks(CHUNK).zip(y.chunks(CHUNK)).zip(cell_ids.chunks_mut(CHUNK)) {
        let n = xs.len();
        for i in 0..n {
            let (tx, ty) = if identity { (xs[i], ys[i]) } else { frame.transform.apply(xs[i], ys[i]) };
            let (cx, cy) = if frame.scale == 1.0 { (tx, ty) } else { (tx / frame.scale, ty / frame.scale) };
            if cx.is_finite() && cy.is_finite() {
                lo_x = lo_x.min(cx);
                hi_x = hi_x.max(cx);
                lo_y = lo_y.min(cy);
                hi_y = hi_y.max(cy);
            }
            px[i] = cx + half;
            py[i] = cy + half;
        }
        let s = match &nearest {
            Some(map) => {
                let map = Grid::new(width, height, &map[..]).map_err(core)?;
                assign_points(map, &px[..n], &py[..n], 1.0, cells).map_err(core)?
            }
            None => assign_points(grid, &px[..n], &py[..n], 1.0, cells).map_err(core)?,
        };
        summary.in_cells += s.in_cells;
        summary.background += s.background;
        summary.out_of_image += s.out_of_image;
    }
    let bounds = (lo_x <= hi_x).then_some(Bounds { x: (lo_x, hi_x), y: (lo_y, hi_y) });
    Ok((Assignment { cell_ids, summary }, bounds))
}

/// What to say when more than half of `total` transcripts fell outside a
/// `width × height` image (`None` otherwise): "N of M transcripts fall outside
/// the image: transcripts span x a..b × y c..d pixels, the image is 0..W × 0..H".
/// All of them outside is an error in every front end (each adds how to fix
/// its frame), more than half a warning.
///
/// ```
/// use cellmap::{Bounds, frame::outside_message};
/// let bounds = Bounds { x: (100.0, 120.5), y: (0.0, 3.0) };
/// assert_eq!(
///     outside_message(4, 4, Some(bounds), 60, 40).unwrap(),
///     "4 of 4 transcripts fall outside the image: transcripts span x 100.000000..120.500000 × \
///      y 0.000000..3.000000 pixels, the image is 0..60 × 0..40"
/// );
/// assert_eq!(outside_message(4, 2, Some(bounds), 60, 40), None);
/// ```
pub fn outside_message(
    total: usize,
    outside: usize,
    bounds: Option<Bounds>,
    width: usize,
    height: usize,
) -> Option<String> {
    if total == 0 || outside * 2 <= total {
        return None;
    }
    let boxed = match bounds {
        Some(b) => format!("x {:.6}..{:.6} × y {:.6}..{:.6}", b.x.0, b.x.1, b.y.0, b.y.1),
        None => "no finite coordinates".to_string(),
    };
    Some(format!(
        "{outside} of {total} transcripts fall outside the image: transcripts span {boxed} pixels, \
         the image is 0..{width} × 0..{height}"
    ))
}

//! What a transcript table looks like: the delimiter (detected from the
//! header line), the columns (found by header name, case-insensitive) and
//! the instrument presets built on them.
//!
//! | preset | x, y | gene | units | rows dropped |
//! |---|---|---|---|---|
//! | [`Options::auto`] | any name of [`X_NAMES`], [`Y_NAMES`] | [`GENE_NAMES`] | pixels | — |
//! | [`Options::xenium`] | `x_location`, `y_location` | `feature_name` | µm, 0.2125 µm/px | `qv < 20`, [`XENIUM_CONTROL_PREFIXES`](crate::transcripts::XENIUM_CONTROL_PREFIXES) |
//! | [`Options::cosmx`] | `x_local_px`, `y_local_px` (else `x_global_px`, `y_global_px`) | `target` | pixels | [`COSMX_CONTROL_PREFIXES`] |
//! | [`Options::merscope`] | `global_x`, `global_y` | `gene` | µm (give the micron → mosaic transform) | [`MERSCOPE_CONTROL_PREFIXES`] |
//! | [`Options::genesegnet`] | columns 1, 2 | column 3 | pixels | — |
//! | [`Options::pciseq`] | `x`, `y` | `Gene` | pixels | — |

use crate::transcripts::{Column, Options};

/// Header names of the x coordinate tried by [`Options::auto`], in order (case-insensitive).
pub const X_NAMES: [&str; 6] = ["x", "x_location", "global_x", "x_global_px", "x_local_px", "spotx"];
/// Header names of the y coordinate tried by [`Options::auto`], in order (case-insensitive).
pub const Y_NAMES: [&str; 6] = ["y", "y_location", "global_y", "y_global_px", "y_local_px", "spoty"];
/// Header names of the gene tried by [`Options::auto`], in order (case-insensitive).
pub const GENE_NAMES: [&str; 5] = ["gene", "feature_name", "target", "gene_name", "genes"];

/// CosMx control probes (`^(FalseCode|SystemControl|NegPrb|Negative)`), dropped by [`Options::cosmx`].
pub const COSMX_CONTROL_PREFIXES: [&str; 4] = ["FalseCode", "SystemControl", "NegPrb", "Negative"];
/// MERSCOPE blank barcodes (`Blank-*`), dropped by [`Options::merscope`].
pub const MERSCOPE_CONTROL_PREFIXES: [&str; 1] = ["Blank-"];

/// A transcript table layout: the presets of `cellmap assign --preset`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preset {
    /// [`Options::auto`].
    #[default]
    Auto,
    /// [`Options::xenium`].
    Xenium,
    /// [`Options::cosmx`].
    Cosmx,
    /// [`Options::merscope`].
    Merscope,
    /// [`Options::genesegnet`].
    Genesegnet,
    /// [`Options::pciseq`].
    Pciseq,
}

impl Preset {
    /// Every preset, in the order front ends list them.
    pub const ALL: [Preset; 6] =
        [Preset::Auto, Preset::Xenium, Preset::Cosmx, Preset::Merscope, Preset::Genesegnet, Preset::Pciseq];

    /// The name on the command line and in JS: `"auto"`, `"xenium"`, ...
    pub const fn name(self) -> &'static str {
        match self {
            Preset::Auto => "auto",
            Preset::Xenium => "xenium",
            Preset::Cosmx => "cosmx",
            Preset::Merscope => "merscope",
            Preset::Genesegnet => "genesegnet",
            Preset::Pciseq => "pciseq",
        }
    }

    /// The preset called `name`.
    pub fn from_name(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Its reading options.
    pub fn options(self) -> Options {
        match self {
            Preset::Auto => Options::auto(),
            Preset::Xenium => Options::xenium(),
            Preset::Cosmx => Options::cosmx(),
            Preset::Merscope => Options::merscope(),
            Preset::Genesegnet => Options::genesegnet(),
            Preset::Pciseq => Options::pciseq(),
        }
    }

    /// The instrument whose export has this header (`names`, any case): Xenium
    /// (`x_location`, `y_location`, `feature_name`), CosMx (`target` and
    /// `x_local_px` or `x_global_px`), MERSCOPE (`global_x`, `global_y`, `gene`,
    /// `barcode_id`); else [`Preset::Auto`]. A front end that reads a dropped
    /// table without flags uses it, so that a Xenium table gets its µm scale,
    /// quality filter and control probes as with `--preset xenium`.
    ///
    /// ```
    /// use cellmap_io::table::Preset;
    /// let header = |h: &str| h.split(',').map(String::from).collect::<Vec<_>>();
    /// assert_eq!(Preset::detect(&header("feature_name,X_location,y_location,qv")), Preset::Xenium);
    /// assert_eq!(Preset::detect(&header("x,y,gene")), Preset::Auto);
    /// ```
    pub fn detect(names: &[String]) -> Preset {
        let has = |want: &str| names.iter().any(|n| n.eq_ignore_ascii_case(want));
        if has("x_location") && has("y_location") && has("feature_name") {
            Preset::Xenium
        } else if has("target") && (has("x_local_px") || has("x_global_px")) {
            Preset::Cosmx
        } else if has("global_x") && has("global_y") && has("gene") && has("barcode_id") {
            Preset::Merscope
        } else {
            Preset::Auto
        }
    }
}

fn any(names: &[&str]) -> Column {
    Column::Any(names.iter().map(|n| n.to_string()).collect())
}

impl Options {
    /// Columns found by name ([`X_NAMES`], [`Y_NAMES`], [`GENE_NAMES`]),
    /// pixels, no filters: a table whose header names its columns needs
    /// nothing else.
    ///
    /// ```
    /// use cellmap_io::transcripts::{self, Options};
    /// let t = transcripts::read_bytes(b"Gene\tx\ty\nACTB\t1.5\t2\n", "t.tsv", &Options::auto())?;
    /// assert_eq!((t.x[0], t.y[0], t.gene_names[0].as_str()), (1.5, 2.0, "ACTB"));
    /// # Ok::<(), cellmap_io::Error>(())
    /// ```
    pub fn auto() -> Self {
        Self { x: any(&X_NAMES), y: any(&Y_NAMES), gene: any(&GENE_NAMES), ..Self::pixels("", "", "") }
    }

    /// NanoString CosMx `*_tx_file.csv`: `x_local_px`, `y_local_px` (a
    /// field of view's pixels; `x_global_px`, `y_global_px` when the local
    /// ones are absent), `target`; drops [`COSMX_CONTROL_PREFIXES`]. Local
    /// pixels have y pointing up: map them with the transform
    /// `1,0,0;0,-1,H` (H = the FOV image height) and pick a FOV with the
    /// filter `fov=N`.
    pub fn cosmx() -> Self {
        Self {
            x: any(&["x_local_px", "x_global_px"]),
            y: any(&["y_local_px", "y_global_px"]),
            gene: any(&["target"]),
            exclude_gene_prefixes: COSMX_CONTROL_PREFIXES.iter().map(|p| p.to_string()).collect(),
            ..Self::pixels("", "", "")
        }
    }

    /// Vizgen MERSCOPE `detected_transcripts.csv`: `global_x`, `global_y`
    /// (µm), `gene`; drops `Blank-*` barcodes. Units per pixel stay 1: the
    /// µm are mapped to mosaic pixels by the experiment's
    /// `micron_to_mosaic_pixel_transform.csv` (an affine transform).
    pub fn merscope() -> Self {
        Self {
            x: any(&["global_x"]),
            y: any(&["global_y"]),
            gene: any(&["gene"]),
            exclude_gene_prefixes: MERSCOPE_CONTROL_PREFIXES.iter().map(|p| p.to_string()).collect(),
            ..Self::pixels("", "", "")
        }
    }

    /// pciSeq spot tables (`Gene,x,y`, pixels; names case-insensitive).
    pub fn pciseq() -> Self {
        Self { x: any(&["x"]), y: any(&["y"]), gene: any(&["gene"]), ..Self::pixels("", "", "") }
    }
}

/// The delimiter of a table from its header line: the most frequent of
/// `,`, tab and `;` (ties in that order), or `fallback` when it has none.
///
/// ```
/// use cellmap_io::table::detect_delimiter;
/// assert_eq!(detect_delimiter(b"gene\tx\ty\n1,2", b','), b'\t');
/// assert_eq!(detect_delimiter(b"gene;x;y", b','), b';');
/// assert_eq!(detect_delimiter(b"gene", b','), b',');
/// ```
pub fn detect_delimiter(head: &[u8], fallback: u8) -> u8 {
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |d: u8| line.iter().filter(|&&b| b == d).count();
    let mut best = (0, fallback);
    for d in [b',', b'\t', b';'] {
        let n = count(d);
        if n > best.0 {
            best = (n, d);
        }
    }
    best.1
}

/// Position of `column` among the header `names`: exact name first, then
/// case-insensitive; for [`Column::Any`], the first of its names present.
pub fn position(names: &[String], column: &Column) -> Option<usize> {
    let by_name = |want: &str| {
        names
            .iter()
            .position(|n| n == want)
            .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(want)))
    };
    match column {
        Column::Index(i) => Some(*i),
        Column::Name(name) => by_name(name),
        Column::Any(list) => list.iter().find_map(|n| by_name(n)),
    }
}

/// How a column is named in messages: `` `x` ``, `column 1`, or
/// `` x (one of `x`, `x_location`) ``.
pub fn describe(column: &Column, role: &str) -> String {
    match column {
        Column::Index(i) => format!("column {}", i + 1),
        Column::Name(name) => format!("`{name}`"),
        Column::Any(list) if list.len() == 1 => format!("`{}`", list[0]),
        Column::Any(list) => {
            let names: Vec<String> = list.iter().map(|n| format!("`{n}`")).collect();
            format!("{role} (one of {})", names.join(", "))
        }
    }
}

/// The hint that ends a "column not found" or "not a number" message.
pub const COLUMN_FLAGS_HINT: &str = "name the columns with --x-col, --y-col, --gene-col or choose a --preset (xenium, cosmx, merscope, genesegnet, pciseq)";

#[cfg(test)]
mod tests {
    use crate::transcripts::{Options, read_bytes};

    #[test]
    fn delimiters_are_detected_from_the_header() {
        for (text, name) in [
            ("x,y,gene\n1.5,2,A\n", "t.csv"),
            ("x\ty\tgene\n1.5\t2\tA\n", "t.tsv"),
            ("x;y;gene\n1.5;2;A\n", "t.csv"),
        ] {
            let t = read_bytes(text.as_bytes(), name, &Options::auto()).unwrap();
            assert_eq!((t.x[0], t.y[0], t.gene_names[0].as_str()), (1.5, 2.0, "A"), "{text:?}");
        }
    }

    #[test]
    fn headers_are_found_by_name_in_any_case() {
        for header in [
            "Gene,x,y",
            "feature_name,X_LOCATION,y_location",
            "gene,global_x,global_y",
            "target,x_global_px,y_global_px",
            "target,x_local_px,y_local_px",
            "gene,spotX,spotY",
        ] {
            let text = format!("{header}\nA,1,2\n");
            let t = read_bytes(text.as_bytes(), "t.csv", &Options::auto()).unwrap();
            assert_eq!((t.x[0], t.y[0]), (1.0, 2.0), "{header}");
        }
        let err = read_bytes(b"a,b,c\n1,2,A\n", "t.csv", &Options::auto()).unwrap_err().to_string();
        assert!(
            err.starts_with("t.csv: ") && err.contains("columns: a, b, c") && err.contains("--x-col"),
            "{err}"
        );
        // Picked by position: a named header that is not numbers says how to name the columns.
        let err = read_bytes(b"Gene,x,y\nA,1,2\n", "t.csv", &Options::genesegnet()).unwrap_err().to_string();
        assert!(
            err.contains("column 1 is not a number") && err.contains("the header is: Gene, x, y"),
            "{err}"
        );
    }

    #[test]
    fn presets_drop_their_control_probes_and_filters_keep_matching_rows() {
        let cosmx = "fov,x_local_px,y_local_px,target\n1,1,1,A\n2,2,2,NegPrb3\n2,3,3,FalseCode9\n2,4,4,B\n";
        let mut o = Options::cosmx();
        o.filters = vec![("FOV".into(), "2".into())];
        let t = read_bytes(cosmx.as_bytes(), "tx.csv", &o).unwrap();
        assert_eq!((t.x.clone(), t.dropped_controls, t.dropped_filtered), (vec![4.0], 2, 1));
        let merscope = "global_x,global_y,gene\n1,1,Blank-0001\n2,2,A\n";
        let t = read_bytes(merscope.as_bytes(), "d.csv", &Options::merscope()).unwrap();
        assert_eq!((t.x.clone(), t.dropped_controls), (vec![2.0], 1));
        let mut o = Options::auto();
        o.filters = vec![("nope".into(), "1".into())];
        let err = read_bytes(b"x,y,gene\n1,1,A\n", "t.csv", &o).unwrap_err().to_string();
        assert!(err.contains("nope") && err.contains("columns: x, y, gene"), "{err}");
    }
}

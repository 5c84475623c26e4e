//! Command-line grammar: every subcommand, its flags, help text and examples.

use std::path::PathBuf;

use cellmap::{CONNECTIVITIES, Colormap, Connectivity, GeneSelection, MaskKind, SegmentOptions, Stat};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};

/// Per-cell gene maps from cell masks and spatial transcriptomics, with scipy's numbers.
#[derive(Debug, Parser)]
#[command(
    name = "cellmap",
    version,
    about,
    long_about = "Per-cell gene maps from cell-segmentation masks and spatial transcriptomics.\n\n\
        Fills holes and labels cells exactly like scipy.ndimage (binary_fill_holes + label), \
        averages expression per cell (zeros and NaN skipped), and paints per-gene maps.",
    after_help = "Exit codes: 0 ok, 1 bad input (the message names the file), 2 usage error.\n\n\
        Outputs: cellmap writes only its own file names, refuses existing ones unless --overwrite, \
        never writes over an input, and locks an output folder while writing into it.\n\n\
        Try it with no data:\n  cellmap demo -o demo && cellmap run demo -o out"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Memory budget (e.g. 8G, 512M, 1.5GB): inputs and outputs that would not fit are refused
    /// before anything big is allocated. Default: half of the memory available at start.
    #[arg(long, global = true, value_name = "SIZE", value_parser = crate::memory::parse_max_memory)]
    pub max_memory: Option<u64>,
}

impl Cli {
    /// Checks what no single flag's parser can (flags against each other): a usage error, to be
    /// reported (exit code 2) as clap reports its own, with the subcommand's usage line.
    pub fn validate(&self) -> Result<(), clap::Error> {
        if let Command::Run(args) = &self.command {
            if let (Some(vmin), Some(vmax)) = (args.vmin, args.vmax) {
                if vmin > vmax {
                    return Err(usage_error(
                        "run",
                        clap::error::ErrorKind::ValueValidation,
                        format!("--vmin {vmin} is above --vmax {vmax}"),
                    ));
                }
            }
            args.check_bundle()
                .map_err(|message| usage_error("run", clap::error::ErrorKind::ArgumentConflict, message))?;
        }
        if let Command::Publish(args) = &self.command {
            if let (Some(_), Some(flag)) = (&args.expression, args.frame.first_given()) {
                return Err(usage_error(
                    "publish",
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "{flag} is for transcripts: it needs --transcripts, --xenium, --cosmx or --merscope"
                    ),
                ));
            }
        }
        let bundle = match &self.command {
            Command::Assign(args) => Some(("assign", &args.bundle)),
            Command::Run(args) => Some(("run", &args.bundle)),
            Command::Publish(args) => Some(("publish", &args.bundle)),
            _ => None,
        };
        if let Some((name, bundle)) = bundle {
            // clap's `requires` does not fire here (cosmx and fov require each other).
            if bundle.cosmx.is_none() && (bundle.fov.is_some() || bundle.cosmx_y_down) {
                return Err(usage_error(
                    name,
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "--fov and --cosmx-y-down need --cosmx DIR".to_string(),
                ));
            }
        }
        Ok(())
    }
}

/// A usage error of subcommand `name`, rendered like clap's own (`Usage: cellmap NAME ...`).
fn usage_error(name: &str, kind: clap::error::ErrorKind, message: String) -> clap::Error {
    use clap::CommandFactory;
    let mut cli = Cli::command();
    cli.build();
    match cli.find_subcommand_mut(name) {
        Some(command) => command.error(kind, message),
        None => cli.error(kind, message),
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Label(LabelArgs),
    Rasterize(crate::cmd::rasterize::RasterizeArgs),
    Reduce(ReduceArgs),
    Assign(Box<AssignArgs>),
    Run(Box<RunArgs>),
    Publish(Box<crate::cmd::publish::PublishArgs>),
    Bench(BenchArgs),
    Demo(DemoArgs),
    Cluster(Box<crate::cmd::cluster::ClusterArgs>),
    Segeval(crate::cmd::segeval::SegevalArgs),
    Heatmap(Box<crate::cmd::heatmap::HeatmapArgs>),
    Evaluate(crate::cmd::evaluate::EvaluateArgs),
}

/// Fill holes and label cells (scipy numbering) in a mask.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap label tile.npy -o tile_labels.npy\n  \
    cellmap label cells_cp_masks.png -o labels.npy --filled filled.npy --connectivity 8\n\n\
    MASK is a .npy (any integer, bool or float dtype), .png (8/16-bit grey), .tif/.tiff, a Cellpose \
    _seg.npy (its masks), a scipy sparse .npz (COO/CSR/CSC, save_npz) or a Xenium cells.zarr.zip \
    (masks/1, the cells; zlib/gzip chunks), recognised by their bytes; \
    any nonzero pixel is a cell pixel. The labels are int32 (0 = background, 1..N in raster \
    order of each cell's first pixel, as scipy.ndimage.label). An already-labelled mask \
    (an integer image with several distinct nonzero values, e.g. Cellpose *_cp_masks.png) is \
    only validated and copied: see --mask-kind.")]
pub struct LabelArgs {
    /// Cell mask or label image: .npy, PNG, TIFF, Cellpose _seg.npy, scipy sparse .npz, Xenium
    /// cells.zarr.zip.
    pub mask: PathBuf,
    /// Output label image (.npy, int32).
    #[arg(short, long, value_name = "LABELS.npy")]
    pub output: PathBuf,
    /// Also write the hole-filled mask (.npy, bool).
    #[arg(long, value_name = "FILLED.npy", conflicts_with = "no_fill_holes")]
    pub filled: Option<PathBuf>,
    #[command(flatten)]
    pub segmentation: SegmentationArgs,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `--overwrite` (every subcommand that writes files).
#[derive(Debug, Args, Clone, Copy)]
pub struct Overwrite {
    /// Replace cellmap's own outputs that already exist (only those file names). Without it, an
    /// existing output is refused: exit 1, naming the files. Either way cellmap writes only its
    /// own file names (other files in an output folder are never touched or deleted), never
    /// replaces a folder, and an output that is also an input is a usage error (exit 2).
    #[arg(long)]
    pub overwrite: bool,
}

/// How masks become labels (shared by `label` and `run`).
#[derive(Debug, Args, Clone, Copy)]
pub struct SegmentationArgs {
    /// Pixel connectivity of a cell: 4 (scipy's default) or 8.
    #[arg(long, default_value = "4", value_parser = connectivity_parser())]
    pub connectivity: Connectivity,
    /// Do not fill holes before labeling (scipy.ndimage.binary_fill_holes is on by default).
    #[arg(long)]
    pub no_fill_holes: bool,
    /// What the mask holds: auto = a label image if its values are whole numbers >= 0 (any
    /// integer dtype, or floats that are all whole) with more than one distinct nonzero value
    /// (Cellpose *_cp_masks, uint32 or float32 label TIFFs), else a binary mask. A label image is
    /// used as is (not filled or relabelled, so touching cells stay apart).
    #[arg(long, default_value = "auto", value_parser = mask_kind_parser())]
    pub mask_kind: MaskKind,
}

impl SegmentationArgs {
    /// The values without any of these flags (`run`'s and `label`'s defaults), as clap parses
    /// them.
    pub fn defaults() -> Result<Self, clap::Error> {
        let command = Self::augment_args(clap::Command::new("defaults"));
        Self::from_arg_matches(&command.try_get_matches_from(["defaults"])?)
    }

    /// The pipeline's options for a binary mask.
    pub fn options(&self) -> SegmentOptions {
        SegmentOptions { fill_holes: !self.no_fill_holes, connectivity: self.connectivity }
    }
}

/// `--connectivity 4|8` by the pipeline's names.
fn connectivity_parser() -> impl TypedValueParser<Value = Connectivity> {
    let help = |c| {
        if c == Connectivity::Four { "up, down, left, right (scipy's default)" } else { "also the diagonals" }
    };
    PossibleValuesParser::new(CONNECTIVITIES.map(|(c, name)| PossibleValue::new(name).help(help(c))))
        .map(|name| CONNECTIVITIES.iter().find(|(_, n)| *n == name).map_or(Connectivity::Four, |&(c, _)| c))
}

/// `--mask-kind auto|binary|labels` by the pipeline's names.
fn mask_kind_parser() -> impl TypedValueParser<Value = MaskKind> {
    let help = |k| match k {
        MaskKind::Auto => "labels if whole numbers with several distinct nonzero values, else binary",
        MaskKind::Binary => "any nonzero pixel is a cell pixel: fill holes and label",
        MaskKind::Labels => "each nonzero value is a cell id (0 = background): used as is",
    };
    PossibleValuesParser::new(MaskKind::ALL.map(|k| PossibleValue::new(k.name()).help(help(k))))
        .map(|name| MaskKind::ALL.into_iter().find(|k| k.name() == name).unwrap_or_default())
}

/// `--stat mean|sum|count|min|max` by the pipeline's names.
pub(crate) fn stat_parser() -> impl TypedValueParser<Value = Stat> {
    PossibleValuesParser::new(Stat::ALL.map(|s| PossibleValue::new(s.name()).help(s.description())))
        .map(|name| Stat::from_name(&name).unwrap_or_default())
}

/// Per-cell statistics of a dense image or of every gene of a CSR matrix.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap reduce labels.npy gene12.npy -o means.npy --stat mean\n  \
    cellmap reduce labels.npy tile_ST_1024.npz -o table.npy --stat mean --within tile.npy\n\n\
    VALUES is a dense .npy image (H, W) of any numeric dtype (output shape (N,)), a dense .npy \
    (H, W, G) or a scipy CSR .npz of shape (H*W, G) (output shape (N, G)); row k-1 is label k. Zero and NaN values are skipped unless \
    --keep-zeros. dtypes: mean/sum float64, count int64, min/max float32. An empty cell gives \
    NaN for mean/min/max and 0 for sum/count.")]
pub struct ReduceArgs {
    /// Label image: .npy, PNG, TIFF, Cellpose _seg.npy, scipy sparse .npz, Xenium cells.zarr.zip
    /// (integers or whole-number floats; 0 = background).
    pub labels: PathBuf,
    /// Values: dense .npy image, or CSR .npz (pixels × genes).
    pub values: PathBuf,
    /// Output (.npy).
    #[arg(short, long, value_name = "OUT.npy")]
    pub output: PathBuf,
    /// Statistic per cell.
    #[arg(long, default_value = "mean", value_parser = stat_parser())]
    pub stat: Stat,
    /// Only use pixels that are nonzero in this mask (e.g. the unfilled mask).
    #[arg(long, value_name = "MASK")]
    pub within: Option<PathBuf>,
    /// Count zero values as values (NaN is always skipped).
    #[arg(long)]
    pub keep_zeros: bool,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Assign transcripts to cells and count them per cell and gene.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap assign labels.npy transcripts.csv.gz -o out --preset xenium\n  \
    cellmap assign labels.npy spots.csv -o out --preset genesegnet --max-distance 3\n  \
    cellmap assign labels.npy t.csv -o out --x-col px --y-col py --gene-col target --min-qv 20\n\n\
    Writes OUT/assignments.csv (cell_id,spotX,spotY,gene; cell_id 0 = background, -1 = outside the image), \
    OUT/counts.npz (scipy.sparse.load_npz: CSR int64 (N, genes), row k-1 = cell k), \
    OUT/cells.csv (cell_id,area,centroid_row,centroid_col: one line per row) and \
    OUT/genes.txt (one gene name per column). TRANSCRIPTS is CSV, TSV or ;-separated text \
    (gzip or not; the delimiter is detected from the header) or Parquet. A transcript at (x, y) \
    goes to pixel column floor(x'/scale), row floor(y'/scale) where (x', y') = TRANSFORM(x, y) \
    (--round nearest: round instead of floor). --x-col, --y-col, --gene-col, --qv-col and --min-qv \
    override the preset's columns (by header name) and quality filter.\n\n\
    More examples:\n  \
    cellmap assign labels.npy transcripts.parquet -o out --preset xenium\n  \
    cellmap assign CellLabels_F002.tif tx_file.csv -o out --preset cosmx --where fov=2 --transform '1,0,0;0,-1,3648'\n  \
    cellmap assign mosaic_labels.tif detected_transcripts.csv -o out --preset merscope \\\n    \
    --transform micron_to_mosaic_pixel_transform.csv --round nearest\n\n\
    Vendor bundles (the files found by their documented names; a missing one is named, exit 1):\n  \
    cellmap assign --xenium outs/ -o out\n  \
    cellmap assign --cosmx flatFiles/ --fov 2 -o out\n  \
    cellmap assign --merscope region_0/ -o out --z-plane 3\n  \
    cellmap assign mosaic_labels.tif --merscope region_0/ -o out --round nearest")]
pub struct AssignArgs {
    /// Label image: .npy, PNG, TIFF, Cellpose _seg.npy, scipy sparse .npz, Xenium cells.zarr.zip
    /// (integers or whole-number floats; 0 = background); or cell polygons (.geojson/.json in
    /// pixels, Xenium cell_boundaries.csv[.gz] in µm at --scale, Xenium or MERSCOPE
    /// cell_boundaries.parquet in the transcripts' frame: --transform, then --scale) drawn as
    /// `cellmap rasterize` does, their ids then going to cell_ids.csv. Not with --xenium/--cosmx
    /// (the bundle's).
    #[arg(
        required_unless_present_any = ["xenium", "cosmx", "merscope"],
        conflicts_with_all = ["xenium", "cosmx"]
    )]
    pub labels: Option<PathBuf>,
    /// Transcript table (.csv or .csv.gz). Not with a bundle flag (the bundle's).
    #[arg(
        required_unless_present_any = ["xenium", "cosmx", "merscope"],
        conflicts_with_all = ["xenium", "cosmx", "merscope"]
    )]
    pub transcripts: Option<PathBuf>,
    #[command(flatten)]
    pub bundle: BundleArgs,
    /// Output folder (created if missing; may hold other files, which are left alone).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// Column names and units of a known instrument.
    #[arg(long, value_enum, default_value_t = PresetArg::Auto, conflicts_with_all = BUNDLES)]
    pub preset: PresetArg,
    /// Affine transform from the table's (x, y) to pixel (column, row), applied before --scale:
    /// inline "a,b,c;d,e,f" (2×3, or 3×3 with last row 0,0,1) or a file of 3 rows of 3 numbers
    /// (MERSCOPE micron_to_mosaic_pixel_transform.csv). CosMx local pixels (y up) in an image of
    /// height H: "1,0,0;0,-1,H". With --transform the scale is 1 unless --scale is given.
    #[arg(long, value_name = "AFFINE|FILE", allow_hyphen_values = true, conflicts_with_all = BUNDLES)]
    pub transform: Option<String>,
    #[command(flatten)]
    pub frame: TranscriptArgs,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the counts as an AnnData zarr store (X = CSR counts; obs = cell_id, area,
    /// centroid_row, centroid_col; obsm spatial = centroid (x, y); var index = gene names).
    #[arg(long, value_name = "STORE.zarr")]
    pub anndata: Option<PathBuf>,
}

/// The bundle flags.
const BUNDLES: [&str; 3] = ["xenium", "cosmx", "merscope"];

/// Vendor output folders (`assign` and `run`): their files found by their documented names.
#[derive(Debug, Args, Clone)]
pub struct BundleArgs {
    /// 10x Xenium output folder: labels DIR/cells.zarr.zip (else the polygons of
    /// DIR/cell_boundaries.parquet, else .csv.gz), transcripts DIR/transcripts.parquet (else
    /// .csv.gz), preset xenium, µm per pixel from DIR/experiment.xenium (pixel_size, below 10;
    /// 0.2125 if the key is missing) unless --scale.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["cosmx", "merscope"])]
    pub xenium: Option<PathBuf>,
    /// NanoString CosMx flat-file folder (with --fov): labels DIR/CellLabels/CellLabels_F<NNN>.tif
    /// (or DIR/CellLabels_F<NNN>.tif), transcripts the one DIR/*_tx_file.csv[.gz], preset cosmx,
    /// --where fov=N, and local pixels with y up: transform 1,0,0;0,-1,H (H = the label image's
    /// height; --cosmx-y-down: none).
    #[arg(long, value_name = "DIR", requires = "fov", conflicts_with = "merscope")]
    pub cosmx: Option<PathBuf>,
    /// The CosMx field of view of --cosmx.
    #[arg(long, value_name = "N", requires = "cosmx")]
    pub fov: Option<u32>,
    /// CosMx local pixel y already points down (row = y_local_px): no y flip.
    #[arg(long, requires = "cosmx")]
    pub cosmx_y_down: bool,
    /// Vizgen MERSCOPE output folder: transcripts DIR/detected_transcripts.csv, transform
    /// DIR/images/micron_to_mosaic_pixel_transform.csv, preset merscope; without LABELS the
    /// polygons of DIR/cell_boundaries.parquet (one z-plane, --z-plane) drawn in mosaic pixels
    /// through the transform, in an image of --shape H,W, else of the polygons' extent (the
    /// mosaic TIFFs' size is not read), ids (EntityID) to cell_ids.csv.
    #[arg(long, value_name = "DIR")]
    pub merscope: Option<PathBuf>,
}

impl BundleArgs {
    /// The bundle flag given, if any.
    pub fn flag(&self) -> Option<&'static str> {
        [(&self.xenium, "--xenium"), (&self.cosmx, "--cosmx"), (&self.merscope, "--merscope")]
            .into_iter()
            .find_map(|(dir, flag)| dir.as_ref().map(|_| flag))
    }
}

/// How transcripts are read and placed on the labels (`assign`, and `run` with a bundle).
#[derive(Debug, Args, Clone)]
pub struct TranscriptArgs {
    /// Size of the label image drawn from polygons, HEIGHT,WIDTH (default: the polygons' extent).
    #[arg(long, value_name = "H,W", value_parser = crate::cmd::rasterize::parse_shape)]
    pub shape: Option<(usize, usize)>,
    /// MERSCOPE cell_boundaries.parquet: the ZIndex whose polygons are drawn (a cell without a
    /// polygon on it is left out) [default: 3, the middle of MERSCOPE's 7 planes, if present,
    /// else the lowest present; a note says which].
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub z_plane: Option<i64>,
    /// Micrometres per pixel (default: the preset's, 0.2125 for Xenium, 1 otherwise).
    #[arg(long, value_name = "UM_PER_PX", value_parser = positive, allow_hyphen_values = true)]
    pub scale: Option<f64>,
    /// Give background transcripts to the nearest cell within this many pixels (`inf`: any distance).
    #[arg(long, value_name = "PX", value_parser = non_negative, allow_hyphen_values = true)]
    pub max_distance: Option<f64>,
    /// Header name of the x (column direction) coordinate (default: the preset's).
    #[arg(long, value_name = "NAME")]
    pub x_col: Option<String>,
    /// Header name of the y (row direction) coordinate (default: the preset's).
    #[arg(long, value_name = "NAME")]
    pub y_col: Option<String>,
    /// Header name of the gene (feature) column (default: the preset's).
    #[arg(long, value_name = "NAME")]
    pub gene_col: Option<String>,
    /// Header name of the quality-value column (default: the preset's, else `qv`).
    #[arg(long, value_name = "NAME", requires = "min_qv")]
    pub qv_col: Option<String>,
    /// Keep only transcripts with quality value >= this (default: the preset's, 20 for Xenium).
    #[arg(long, value_name = "QV", value_parser = finite)]
    pub min_qv: Option<f64>,
    /// Pixel of a coordinate: floor (pixel i covers [i, i+1)) or nearest ([i-0.5, i+0.5)).
    #[arg(long, value_enum, default_value_t = RoundArg::Floor)]
    pub round: RoundArg,
    /// Keep only rows whose column COL holds VALUE (text equality; repeatable, all must hold),
    /// e.g. --where fov=2.
    #[arg(long = "where", value_name = "COL=VALUE", value_parser = where_parser)]
    pub filters: Vec<(String, String)>,
}

impl TranscriptArgs {
    /// The first of these flags given (`--round` only when not floor), for `run` without a bundle.
    pub fn first_given(&self) -> Option<&'static str> {
        [
            (self.shape.is_some(), "--shape"),
            (self.z_plane.is_some(), "--z-plane"),
            (self.scale.is_some(), "--scale"),
            (self.max_distance.is_some(), "--max-distance"),
            (self.x_col.is_some(), "--x-col"),
            (self.y_col.is_some(), "--y-col"),
            (self.gene_col.is_some(), "--gene-col"),
            (self.min_qv.is_some(), "--min-qv"),
            (self.round != RoundArg::Floor, "--round"),
            (!self.filters.is_empty(), "--where"),
        ]
        .into_iter()
        .find_map(|(given, flag)| given.then_some(flag))
    }
}

/// Transcript table layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PresetArg {
    /// Columns by header name (x/y/gene, spotX/spotY, ...; any case), pixels; a table with a
    /// vendor's documented columns takes that vendor's preset, with a note (Xenium
    /// x_location/y_location/feature_name, CosMx target + x_local_px, MERSCOPE global_x/global_y/gene,
    /// which needs --transform).
    Auto,
    /// 10x Xenium transcripts.csv(.gz) or .parquet: x_location, y_location, feature_name; µm at
    /// 0.2125 µm/px; qv >= 20; control probes dropped.
    Xenium,
    /// NanoString CosMx tx_file: x_local_px, y_local_px (else x_global_px, y_global_px), target;
    /// pixels; FalseCode, SystemControl, NegPrb, Negative* dropped.
    Cosmx,
    /// Vizgen MERSCOPE detected_transcripts: global_x, global_y, gene (µm; give --transform);
    /// Blank-* dropped.
    Merscope,
    /// GeneSegNet spot table: the first three columns are x, y, gene (pixels).
    Genesegnet,
    /// pciSeq spots: x, y, Gene (pixels).
    Pciseq,
}

/// `--round`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoundArg {
    /// floor: pixel i covers [i, i+1).
    Floor,
    /// Round to nearest: pixel i covers [i-0.5, i+0.5).
    Nearest,
}

fn where_parser(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((col, value)) if !col.trim().is_empty() => {
            Ok((col.trim().to_string(), value.trim().to_string()))
        }
        _ => Err(format!("expected COL=VALUE, got {s:?}")),
    }
}

/// Process every tile of a folder, or a vendor bundle: labels, region table, cell × gene table,
/// gene maps.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap run tiles/ -o results/\n  \
    cellmap run tiles/ -o results/ --genes 10..30 --stat mean --colormap magma --csv\n  \
    cellmap run --xenium outs/ -o results/ --genes EPCAM,CD3E\n  \
    cellmap run --cosmx flatFiles/ --fov 2 -o results/\n  \
    cellmap run --merscope region_0/ -o results/ --z-plane 3\n  \
    cellmap run --merscope region_0/ mosaic_labels.tif -o results/ --round nearest\n\n\
    Tiles: every mask <tile>.npy|.png|.tif|.tiff (also Cellpose <tile>_seg.npy, Xenium \
    <tile>.zarr.zip) in DIR is paired with the expression \
    <tile>_ST_1024.npz if it exists, else with the one .npz whose name starts with <tile> \
    (an .npz is claimed by the longest mask name that prefixes it; a '_cp_masks' or '_seg' suffix is \
    ignored for matching). Per tile, OUTDIR/<tile>/ gets labels.npy, regions.csv, table.npz \
    (and table.csv with --csv), genes.txt (the gene names), run.json (the tile's summary: \
    statistic, inputs; `cellmap publish OUTDIR/<tile>` reads it), maps/gene_<i>.png for each \
    chosen gene and maps/sum.png. \
    The per-cell statistic uses only the pixels of the ORIGINAL (unfilled) mask, with zeros \
    and NaN skipped, as the research scripts did. A tile's files appear only when the whole tile \
    succeeded; failed tiles are reported and skipped, and the exit code is then 1. OUTDIR may \
    exist: other files in it and in the tile folders are left alone, and existing outputs of an \
    earlier run are refused unless --overwrite.\n\n\
    Bundles (--xenium DIR, --cosmx DIR --fov N, --merscope DIR [LABELS]; files, preset and frame \
    as for `cellmap assign`): the run is one tile named after the label file (cells, \
    CellLabels_F002, cell_boundaries, ...). OUTDIR/<tile>/ gets the same files, the table \
    counting transcripts per cell and gene (--stat sum, float64, or count, int64: the same \
    numbers), plus counts.npz as `assign` writes it (and cell_ids.csv for \
    polygons). --genes also takes gene names (EPCAM,CD3E) from the transcript table. A missing \
    file, an empty table or transcripts all outside the image is an error naming the file \
    (exit 1).")]
pub struct RunArgs {
    /// Folder of tiles; with --merscope, the label image of the mosaic (LABELS) [default: the
    /// bundle's cell_boundaries.parquet polygons].
    #[arg(
        value_name = "DIR",
        required_unless_present_any = BUNDLES,
        conflicts_with_all = ["xenium", "cosmx"]
    )]
    pub dir: Option<PathBuf>,
    /// Output folder (created if missing; may hold other files, which are left alone).
    #[arg(short, long, value_name = "OUTDIR")]
    pub output: PathBuf,
    /// Genes (CSR columns, 0-based) to draw maps of: `10..30` (10 to 29), `10..=29`, `3`,
    /// `1,5,7`; for a bundle also names from its transcript table, `EPCAM,CD3E` (each starting
    /// with a letter) [default: 10..30; for a bundle its first 20 genes].
    #[arg(long, value_parser = parse_genes)]
    pub genes: Option<GenesArg>,
    /// Per-cell statistic for the table and the maps [default: mean; for a bundle sum, the
    /// transcript count].
    #[arg(long, value_parser = stat_parser())]
    pub stat: Option<Stat>,
    /// Colormap of the maps (matplotlib's LUTs).
    #[arg(long, default_value = "viridis", value_parser = colormap_parser())]
    pub colormap: Colormap,
    /// Value mapped to the first colour (default: the smallest per-cell value of each gene).
    #[arg(long, requires = "vmax", value_parser = finite, allow_hyphen_values = true)]
    pub vmin: Option<f64>,
    /// Value mapped to the last colour (default: the largest per-cell value of each gene); at
    /// least --vmin.
    #[arg(long, requires = "vmin", value_parser = finite, allow_hyphen_values = true)]
    pub vmax: Option<f64>,
    /// Where each gene map's min-max range comes from (ignored with --vmin/--vmax).
    #[arg(long, value_enum, default_value_t = RangeArg::Cells, conflicts_with = "vmin")]
    pub range: RangeArg,
    /// Also write the cell × gene table as CSV (large for thousands of genes).
    #[arg(long)]
    pub csv: bool,
    #[command(flatten)]
    pub segmentation: SegmentationArgs,
    /// Worker threads (default and at most: the cores available).
    #[arg(long, short = 'j', value_parser = jobs)]
    pub jobs: Option<usize>,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON summary instead of text (also hides the progress bar).
    #[arg(long)]
    pub json: bool,
    /// Also write each tile's table as an AnnData zarr store <tile>/anndata.zarr (X = the
    /// statistic: sparse CSR for sum and count, dense for mean/min/max, whose missing values are
    /// NaN; obs = cell_id, area, centroids; var index = gene names or gene_<i>).
    #[arg(long)]
    pub anndata: bool,
    #[command(flatten)]
    pub bundle: BundleArgs,
    #[command(flatten)]
    pub frame: TranscriptArgs,
}

impl RunArgs {
    /// The flags of a tile run that a bundle run has no use for, and the other way round.
    fn check_bundle(&self) -> Result<(), String> {
        let Some(bundle) = self.bundle.flag() else {
            if let Some(flag) = self.frame.first_given() {
                return Err(format!("{flag} is for transcripts: it needs --xenium, --cosmx or --merscope"));
            }
            if let Some(GenesArg::Names(names)) = &self.genes {
                return Err(format!(
                    "--genes {}: gene names need a bundle (--xenium, --cosmx, --merscope); for tiles \
                     give column indices such as 10..30",
                    names.join(",")
                ));
            }
            return Ok(());
        };
        if let Some(stat @ (Stat::Mean | Stat::Min | Stat::Max)) = self.stat {
            return Err(format!(
                "--stat {} with {bundle}: a bundle's table counts transcripts per cell and gene, and a \
                 count has no {} over pixels; use --stat sum (the default) or count",
                stat.name(),
                stat.name()
            ));
        }
        if self.range == RangeArg::Pixels {
            return Err(format!(
                "--range pixels with {bundle}: there are no per-pixel values, only transcripts; use \
                 --range cells or --vmin/--vmax"
            ));
        }
        let s = &self.segmentation;
        if s.connectivity != Connectivity::Four || s.no_fill_holes || s.mask_kind != MaskKind::Auto {
            return Err(format!(
                "--connectivity, --no-fill-holes and --mask-kind are for tile masks: {bundle} \
                 gives cell labels, used as they are"
            ));
        }
        Ok(())
    }
}

/// The core's colormaps by name (the possible values listed in `--help`).
fn colormap_parser() -> impl TypedValueParser<Value = Colormap> {
    PossibleValuesParser::new(Colormap::ALL.map(Colormap::name))
        .try_map(|name| Colormap::from_name(&name).ok_or_else(|| format!("unknown colormap `{name}`")))
}

/// The min-max range of a gene map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RangeArg {
    /// The smallest and largest per-cell value of the gene.
    Cells,
    /// min(0, smallest) and largest value over the gene's pixels inside the unfilled mask: the
    /// research script's pixel normalisation, applied to the per-cell means.
    Pixels,
}

/// `--genes`: gene columns, or gene names (of a bundle's transcript table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GenesArg {
    /// Column indices, as ranges (never expanded).
    Columns(GeneSelection),
    /// Gene names, as given.
    Names(Vec<String>),
}

/// `--genes`: gene names when every part starts with a letter and has no `..`, else
/// [`GeneSelection::parse`].
fn parse_genes(text: &str) -> Result<GenesArg, String> {
    let name_like = |part: &str| part.trim_start().starts_with(char::is_alphabetic) && !part.contains("..");
    if !text.split(',').all(name_like) {
        return GeneSelection::parse(text).map(GenesArg::Columns).map_err(|e| e.to_string());
    }
    let names: Vec<String> = text.split(',').map(|name| name.trim().to_string()).collect();
    if names.len() > GeneSelection::MAX_PARTS {
        return Err(format!("{} gene names, above the limit of {}", names.len(), GeneSelection::MAX_PARTS));
    }
    Ok(GenesArg::Names(names))
}

/// Time every kernel on synthetic or given data.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  \
    cellmap bench\n  \
    cellmap bench --size 2048 --repeats 9 --json\n  \
    cellmap bench --data target/bench-data --json      # inputs of bash bench/make-data.sh\n  \
    cellmap bench --clock cpu                          # thread CPU time, on a busy machine\n\n\
    Reports the median time of each kernel over the repeats (after a warm-up run), with Mpx/s \
    (pixels), Mnnz/s (sparse nonzeros) or Mpoints/s (transcripts). Single-threaded kernels; with \
    --data the file reading is timed once. The clock is --clock, else CELLMAP_BENCH_CLOCK \
    (wall or cpu, as for the criterion benches), else wall.")]
pub struct BenchArgs {
    /// Side of the synthetic square tile (1 to 16384).
    #[arg(long, default_value_t = 1024, value_parser = tile_side)]
    pub size: usize,
    /// Synthetic genes of the CSR expression (1 to 100000).
    #[arg(long, default_value_t = 500, value_parser = gene_count)]
    pub genes: usize,
    /// Read mask_<N>x<N>_s0.npy and st_<N>x<N>_s0_g5100_d0.01.npz from this folder instead.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Timed repeats per kernel (the median is reported).
    #[arg(long, default_value_t = 7)]
    pub repeats: usize,
    /// Wall time, or the CPU time of the timing thread (steadier on a busy machine; the file
    /// reads: of the whole process) [default: $CELLMAP_BENCH_CLOCK, else wall].
    #[arg(long, value_enum)]
    pub clock: Option<ClockArg>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// What `cellmap bench` measures (`cellmap::bench::Clock` by name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClockArg {
    /// Elapsed wall-clock time.
    Wall,
    /// CPU time of the (single) timing thread.
    Cpu,
}

impl ClockArg {
    /// The name `cellmap::bench::Clock::from_name` takes.
    pub fn name(self) -> &'static str {
        match self {
            ClockArg::Wall => "wall",
            ClockArg::Cpu => "cpu",
        }
    }
}

/// Write a small synthetic tile folder (mask + CSR expression) to try `cellmap run`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  cellmap demo -o demo && cellmap run demo -o demo-out\n  \
    cellmap run demo -o demo-counts --csv --stat sum && cellmap cluster demo-counts/demo_0/table.csv \
    -o clusters.csv --normalize --log1p --pca 10 --k 5 --truth demo/demo_0_truth.csv\n  \
    cellmap label demo/demo_0.npy -o labels.npy && \
    cellmap assign labels.npy demo/demo_0_transcripts.csv.gz -o assigned\n\n\
    Writes DIR/demo_<k>.npy (uint8 0/255 cell mask), DIR/demo_<k>_ST_1024.npz (scipy CSR \
    float32, (H*W, genes)) and DIR/demo_<k>_transcripts.csv.gz (the same molecules as points: \
    columns x,y,gene in pixels) and DIR/demo_<k>_genes.txt (the gene names, one per CSR column: \
    the simulator's names such as sp0_F2, mix3_F1_U0, ns0_U2) made by cellmap-sim (synthetic \
    tissue, NSF-style spatial expression with negative-binomial counts); the same seed gives the \
    same files. DIR/demo_<k>_truth.csv (cell_id,factor) is a truth labelling for `cellmap cluster \
    --truth`: cell_id as `cellmap run` labels the mask without flags, factor the cell's dominant \
    true spatial factor (F0, F1, ...: the largest mean over the cell's mask pixels, ties to the \
    smaller index; none when no factor is on in the cell).")]
pub struct DemoArgs {
    /// Output folder (created if missing; may hold other files, which are left alone).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Number of tiles.
    #[arg(long, default_value_t = 2)]
    pub tiles: usize,
    /// Side of each square tile in pixels (1 to 16384).
    #[arg(long, default_value_t = 256, value_parser = tile_side)]
    pub size: usize,
    /// Genes per tile (1 to 100000).
    #[arg(long, default_value_t = 40, value_parser = gene_count)]
    pub genes: usize,
    /// Seed of the first tile (tile k uses seed + k).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    #[command(flatten)]
    pub overwrite: Overwrite,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A finite number.
fn finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err("expected a finite number".to_string()),
    }
}

/// A finite number above 0.
fn positive(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err("expected a finite number above 0".to_string()),
    }
}

/// A number >= 0 (`inf` allowed, NaN not).
fn non_negative(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v >= 0.0 => Ok(v),
        _ => Err("expected a number >= 0 (or inf)".to_string()),
    }
}

/// Worker threads: at least 1 (more than the cores are not started).
pub(crate) fn jobs(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => {
            Err("expected a whole number from 1 (more than the cores available are not started)".to_string())
        }
    }
}

/// A number in `lo..=hi`.
fn bounded(text: &str, lo: usize, hi: usize) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from {lo} to {hi}")),
    }
}

/// Side of a synthetic tile.
fn tile_side(text: &str) -> Result<usize, String> {
    bounded(text, 1, 16_384)
}

/// Number of synthetic genes.
fn gene_count(text: &str) -> Result<usize, String> {
    bounded(text, 1, 100_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gene_lists_parse_into_ranges() {
        let cli = Cli::try_parse_from(["cellmap", "run", "d", "-o", "o", "--genes=0..=18446744073709551614"]);
        let Ok(Cli { command: Command::Run(args), .. }) = cli else { panic!("{cli:?}") };
        let Some(GenesArg::Columns(genes)) = args.genes else { panic!("{:?}", args.genes) };
        assert_eq!(genes.len(), usize::MAX);
        for bad in ["5..5", "1,,2", "0..=18446744073709551615"] {
            assert!(
                Cli::try_parse_from(["cellmap", "run", "d", "-o", "o", "--genes", bad]).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn gene_names_are_names_and_indices_are_indices() {
        let names = |list: &[&str]| GenesArg::Names(list.iter().map(|n| n.to_string()).collect());
        assert_eq!(parse_genes("EPCAM, CD3E"), Ok(names(&["EPCAM", "CD3E"])));
        assert!(parse_genes("3,Gene1").unwrap_err().contains("`Gene1` is not a gene index"));
        assert_eq!(parse_genes("1, 3..=4"), Ok(GenesArg::Columns(GeneSelection::parse("1,3..=4").unwrap())));
        assert!(parse_genes("5..5").unwrap_err().contains("selects no gene"));
        assert!(parse_genes("EPCAM,,CD3E").unwrap_err().contains("is not a gene index"));
        let run = |extra: &[&str]| {
            let cli = Cli::try_parse_from([&["cellmap", "run", "-o", "o"], extra].concat()).unwrap();
            cli.validate().map_err(|e| (e.exit_code(), e.to_string()))
        };
        let (code, text) = run(&["d", "--genes=Gad1,Sst"]).unwrap_err();
        assert!(code == 2 && text.contains("--genes Gad1,Sst: gene names need a bundle"), "{text}");
        assert!(run(&["--xenium", "x", "--genes", "EPCAM"]).is_ok());
    }

    #[test]
    fn run_refuses_flags_that_do_not_apply() {
        let run = |extra: &[&str]| {
            let cli = Cli::try_parse_from([&["cellmap", "run", "-o", "o"], extra].concat()).unwrap();
            cli.validate().map_err(|e| (e.exit_code(), e.to_string()))
        };
        for (extra, words) in [
            (&["--xenium", "x", "--stat", "mean"][..], "--stat mean with --xenium"),
            (&["--cosmx", "x", "--fov", "1", "--stat", "max"], "a count has no max"),
            (&["--xenium", "x", "--range", "pixels"], "no per-pixel values"),
            (&["--xenium", "x", "--connectivity", "8"], "are for tile masks"),
            (&["d", "--scale", "0.5"], "--scale is for transcripts"),
            (&["d", "--where", "fov=1"], "--where is for transcripts"),
            (&["d", "--round", "nearest"], "--round is for transcripts"),
        ] {
            let (code, text) = run(extra).unwrap_err();
            assert_eq!(code, 2, "{extra:?}");
            assert!(text.contains(words), "{extra:?}: {text}");
        }
        assert!(run(&["--xenium", "x", "--stat", "count", "--scale", "0.5", "--round", "nearest"]).is_ok());
        assert!(run(&["d", "--stat", "max", "--range", "pixels", "--connectivity", "8"]).is_ok());
    }

    #[test]
    fn a_colour_range_upside_down_is_a_usage_error() {
        let parse = |vmin: &str, vmax: &str| {
            Cli::try_parse_from(["cellmap", "run", "d", "-o", "o", "--vmin", vmin, "--vmax", vmax])
        };
        assert!(parse("0", "1").unwrap().validate().is_ok());
        assert!(parse("-1", "-1").unwrap().validate().is_ok());
        let e = parse("5", "1").unwrap().validate().unwrap_err();
        assert_eq!(e.exit_code(), 2);
        let text = e.render().to_string();
        assert!(text.starts_with("error: --vmin 5 is above --vmax 1"), "{text}");
        assert!(text.contains("Usage: cellmap run"), "{text}");
        assert_eq!(parse("nan", "1").unwrap_err().exit_code(), 2);
    }

    #[test]
    fn every_core_colormap_parses_by_name() {
        for colormap in Colormap::ALL {
            let cli = Cli::try_parse_from(["cellmap", "run", "d", "-o", "o", "--colormap", colormap.name()]);
            let Ok(Cli { command: Command::Run(args), .. }) = cli else { panic!("{}", colormap.name()) };
            assert_eq!(args.colormap, colormap);
        }
        assert!(Cli::try_parse_from(["cellmap", "run", "d", "-o", "o", "--colormap", "jet"]).is_err());
    }

    #[test]
    fn grammar_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

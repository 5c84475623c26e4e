//! Published stores (`cellmap_io::zarr_read`, `cellmap_io::published`): any root `zarr.json`
//! and any chunk bytes (zstd frames, vlen-utf8 strings) must give `Ok` or an `Err` naming the
//! store — never panic or over-allocate. The first byte picks what the rest is.
#![no_main]

use cellmap_io::published::PublishedStore;
use cellmap_io::zarr_read::ArrayMeta;
use libfuzzer_sys::fuzz_target;

const LABELS: &[u8] = br#"{"zarr_format":3,"node_type":"array","shape":[1000,700],"data_type":"int32",
 "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[512,512]}},
 "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":0,
 "codecs":[{"name":"bytes","configuration":{"endian":"little"}},{"name":"zstd","configuration":{"level":3}}]}"#;
const NAMES: &[u8] = br#"{"zarr_format":3,"node_type":"array","shape":[5],"data_type":"string",
 "chunk_grid":{"name":"regular","configuration":{"chunk_shape":[8]}},
 "chunk_key_encoding":{"name":"default","configuration":{"separator":"/"}},"fill_value":"",
 "codecs":[{"name":"vlen-utf8"},{"name":"zstd","configuration":{"level":3}}]}"#;

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let ok_or_named = |e: cellmap_io::Error| assert!(e.to_string().starts_with("fuzz.zarr: "), "{e}");
    match pick % 4 {
        0 => {
            if let Err(e) = PublishedStore::from_root(rest, "fuzz.zarr") {
                ok_or_named(e);
            }
        }
        1 => {
            if let Err(e) = ArrayMeta::from_bytes("a", rest, "fuzz.zarr") {
                ok_or_named(e);
            }
        }
        2 => {
            let array = ArrayMeta::from_bytes("labels/s0", LABELS, "fuzz.zarr").expect("valid metadata");
            if let Err(e) = array.decode_at(Some(rest), Some(&[0, 1])) {
                ok_or_named(e);
            }
        }
        _ => {
            let array = ArrayMeta::from_bytes("var/_index", NAMES, "fuzz.zarr").expect("valid metadata");
            if let Err(e) = array.decode_strings(Some(rest), Some(&[0])) {
                ok_or_named(e);
            }
        }
    }
});

//! The command line the listening examples share: `[--out DIR]`.

use std::path::PathBuf;

/// Parses `[--out DIR | --out=DIR] [-h | --help]`; `Ok(None)` asks for
/// help, and DIR defaults to `default`.
pub fn out_dir(
    mut args: impl Iterator<Item = String>,
    default: &str,
) -> Result<Option<PathBuf>, String> {
    let mut out = None;
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--out" => args.next().ok_or("--out needs a directory")?,
            a if a.starts_with("--out=") => a["--out=".len()..].to_string(),
            other => return Err(format!("unknown argument {other:?}")),
        };
        if value.is_empty() {
            return Err("--out needs a directory".into());
        }
        if out.replace(PathBuf::from(value)).is_some() {
            return Err("--out is given twice".into());
        }
    }
    Ok(Some(out.unwrap_or_else(|| PathBuf::from(default))))
}

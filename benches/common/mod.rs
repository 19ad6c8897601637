//! Shared by the benchmarks: reading this run's medians back from
//! criterion's estimates, to print the tables of ratios.

/// The median of one benchmark of this run (`group/function`), in
/// nanoseconds per iteration, read from criterion's estimates.
pub fn median_ns(id: &str) -> Option<f64> {
    let dir = match std::env::var_os("CRITERION_HOME") {
        Some(d) => std::path::PathBuf::from(d),
        // target/release/deps/<bench>-<hash> → target/criterion
        None => std::env::current_exe()
            .ok()?
            .parent()?
            .parent()?
            .parent()?
            .join("criterion"),
    };
    // criterion keeps `group/function` in `group/function-with-underscores`.
    let (group, function) = id.split_once('/')?;
    let path = dir.join(group).join(function.replace('/', "_"));
    let json = std::fs::read_to_string(path.join("new/estimates.json")).ok()?;
    let median = json.split("\"median\"").nth(1)?;
    let point = median.split("\"point_estimate\":").nth(1)?;
    let end = point.find([',', '}'])?;
    point[..end].trim().parse().ok()
}

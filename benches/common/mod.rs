//! Shared by the benchmarks: criterion's settings, and reading this run's
//! medians back from its estimates to print the tables of ratios.

use std::time::Duration;

use criterion::Criterion;

/// Fixed so that a whole `cargo bench` stays within a few minutes on a
/// small machine; the medians are stable at these settings.
pub fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(40)
        .noise_threshold(0.05)
}

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

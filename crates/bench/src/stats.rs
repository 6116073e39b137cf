//! Latency summaries.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub count: usize,
    pub median: Duration,
    pub p90: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub mean: Duration,
}

/// Nearest-rank percentiles (the smallest sample at or above the given share of samples), so
/// every figure is a latency that was actually observed.
pub fn summarise(samples: &mut [Duration]) -> Option<Summary> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let n = samples.len();
    let rank = |p: f64| -> Duration {
        let r = (p * n as f64).ceil() as usize;
        samples[r.clamp(1, n) - 1]
    };
    let total: Duration = samples.iter().sum();
    Some(Summary {
        count: n,
        median: rank(0.50),
        p90: rank(0.90),
        p99: rank(0.99),
        max: samples[n - 1],
        mean: total / u32::try_from(n).unwrap_or(u32::MAX),
    })
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_millis).collect();
        let s = summarise(&mut v).expect("samples");
        assert_eq!(s.count, 100);
        assert_eq!(s.median, Duration::from_millis(50));
        assert_eq!(s.p90, Duration::from_millis(90));
        assert_eq!(s.p99, Duration::from_millis(99));
        assert_eq!(s.max, Duration::from_millis(100));
        assert_eq!(s.mean, Duration::from_micros(50_500));
    }

    #[test]
    fn one_sample_is_every_percentile() {
        let mut v = vec![Duration::from_millis(7)];
        let s = summarise(&mut v).expect("samples");
        assert_eq!((s.median, s.p99, s.max), (Duration::from_millis(7), Duration::from_millis(7), Duration::from_millis(7)));
    }

    #[test]
    fn nothing_to_summarise() {
        assert_eq!(summarise(&mut []), None);
    }
}

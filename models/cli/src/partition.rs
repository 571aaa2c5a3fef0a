//! `--partition count:I/N`: one of N slices of a run, so that N jobs (a CI matrix, a
//! Kubernetes Indexed Job) share it with no overlap and no gap, in nextest's form (1-based).
//!
//! Assignment is deterministic: the run's items (the campaign's checks, the ordering
//! explorer's checks, fuzz cases) are numbered in their fixed order from 0, and item `i`
//! belongs to partition `i mod N + 1`. The same selection therefore splits the same way on
//! every machine, and `notifier-check merge` can tell a missing or repeated partition.
//!
//! Where the partition comes from, first match wins:
//! 1. `--partition count:I/N` (or the deprecated `fuzz --shard I-1/N`);
//! 2. the environment variable `NOTIFIER_CHECK_PARTITION=count:I/N` (a CI matrix sets it);
//! 3. Kubernetes Indexed Jobs' `JOB_COMPLETION_INDEX` (0-based) with a count from
//!    `--partition-count N` or `NOTIFIER_CHECK_PARTITION_COUNT=N`: partition
//!    `JOB_COMPLETION_INDEX + 1` of N.

use clap::Args;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The environment variable that gives the partition (`count:I/N`).
pub const PARTITION_ENV: &str = "NOTIFIER_CHECK_PARTITION";
/// The environment variable that gives the partition count for `JOB_COMPLETION_INDEX`.
pub const PARTITION_COUNT_ENV: &str = "NOTIFIER_CHECK_PARTITION_COUNT";
/// Kubernetes Indexed Jobs' 0-based completion index.
pub const JOB_INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// Partition `index` of `count` (1-based, `1 <= index <= count`). In JSON:
/// `{"kind": "count", "index": 2, "count": 3}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Partition {
    /// Items numbered `i` from 0 go to partition `i mod count + 1`.
    Count {
        /// This partition, from 1.
        index: u64,
        /// The number of partitions.
        count: u64,
    },
}

impl Partition {
    /// Partition `index` of `count`, checked.
    pub fn count(index: u64, count: u64) -> Result<Self, String> {
        if count == 0 || index == 0 || index > count {
            return Err(format!(
                "partition {index}/{count}: expected 1 <= I <= N (partitions count from 1)"
            ));
        }
        Ok(Partition::Count { index, count })
    }

    /// This partition, from 1.
    pub fn index(self) -> u64 {
        match self {
            Partition::Count { index, .. } => index,
        }
    }

    /// The number of partitions.
    pub fn total(self) -> u64 {
        match self {
            Partition::Count { count, .. } => count,
        }
    }

    /// Whether item `i` (numbered from 0 in the run's fixed order) belongs to this partition.
    pub fn contains(self, i: usize) -> bool {
        match self {
            Partition::Count { index, count } => (i as u64) % count + 1 == index,
        }
    }

    /// The items of `all` (in the run's fixed order) that belong to this partition.
    pub fn select<T>(self, all: Vec<T>) -> Vec<T> {
        all.into_iter()
            .enumerate()
            .filter(|(i, _)| self.contains(*i))
            .map(|(_, t)| t)
            .collect()
    }

    /// The 0-based shard `(index, count)` the fuzzer takes: the cases `i` with
    /// `i mod count = index`, the same assignment as [`Partition::contains`].
    pub fn shard(self) -> (u64, u64) {
        (self.index() - 1, self.total())
    }
}

impl fmt::Display for Partition {
    /// `count:I/N`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Count { index, count } => write!(f, "count:{index}/{count}"),
        }
    }
}

impl FromStr for Partition {
    type Err = String;

    /// `count:I/N` with `1 <= I <= N`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad =
            |why: &str| format!("partition '{s}': {why} (expected count:I/N, e.g. count:1/3)");
        let Some(rest) = s.strip_prefix("count:") else {
            return Err(bad("only the count: kind is supported"));
        };
        let (i, n) = rest.split_once('/').ok_or_else(|| bad("no '/'"))?;
        let i: u64 = i.parse().map_err(|_| bad("I is not a number"))?;
        let n: u64 = n.parse().map_err(|_| bad("N is not a number"))?;
        Partition::count(i, n).map_err(|e| bad(&e))
    }
}

/// `--partition` and `--partition-count`, shared by the commands that can be split.
#[derive(Debug, Clone, Default, Args)]
pub struct PartitionArgs {
    /// Run only partition I of N (1-based, nextest's form: `count:2/3`); checks numbered i from
    /// 0 go to partition i mod N + 1. Default: $NOTIFIER_CHECK_PARTITION, else
    /// $JOB_COMPLETION_INDEX + 1 of --partition-count (Kubernetes Indexed Jobs), else the
    /// whole run.
    #[arg(long, value_name = "count:I/N")]
    pub partition: Option<Partition>,
    /// The number of partitions when the partition index comes from $JOB_COMPLETION_INDEX
    /// (default: $NOTIFIER_CHECK_PARTITION_COUNT).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub partition_count: Option<u64>,
}

impl PartitionArgs {
    /// The partition these arguments and `env` (a variable's value by name) give, or `None`
    /// for the whole run.
    pub fn resolve(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Partition>, String> {
        if let Some(p) = self.partition {
            return Ok(Some(p));
        }
        if let Some(value) = env(PARTITION_ENV).filter(|v| !v.trim().is_empty()) {
            return value
                .trim()
                .parse()
                .map(Some)
                .map_err(|e| format!("${PARTITION_ENV}: {e}"));
        }
        let count = match self.partition_count {
            Some(n) => Some(n),
            None => env(PARTITION_COUNT_ENV)
                .filter(|v| !v.trim().is_empty())
                .map(|v| {
                    v.trim().parse::<u64>().map_err(|_| {
                        format!("${PARTITION_COUNT_ENV} '{v}' is not a number of partitions")
                    })
                })
                .transpose()?,
        };
        let Some(count) = count else {
            // $JOB_COMPLETION_INDEX alone says nothing about how many partitions there are.
            return Ok(None);
        };
        let index = env(JOB_INDEX_ENV).ok_or_else(|| {
            format!(
                "a partition count ({count}) was given but no partition: set \
                 ${JOB_INDEX_ENV} (Kubernetes Indexed Jobs) or use --partition count:I/N"
            )
        })?;
        let index: u64 = index
            .trim()
            .parse()
            .map_err(|_| format!("${JOB_INDEX_ENV} '{index}' is not an index"))?;
        Partition::count(index + 1, count)
            .map(Some)
            .map_err(|_| format!("${JOB_INDEX_ENV}={index} is not below the count {count}"))
    }

    /// The partition from these arguments and the process environment.
    pub fn from_env(&self) -> Result<Option<Partition>, String> {
        self.resolve(|name| std::env::var(name).ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn partitions_parse_in_nextest_form_and_refuse_the_rest() {
        assert_eq!(
            "count:2/3".parse::<Partition>(),
            Ok(Partition::Count { index: 2, count: 3 })
        );
        assert_eq!(Partition::count(3, 3).unwrap().to_string(), "count:3/3");
        for bad in [
            "count:0/3",
            "count:4/3",
            "count:1/0",
            "2/3",
            "hash:1/2",
            "count:a/2",
        ] {
            let e = bad.parse::<Partition>().unwrap_err();
            assert!(e.contains(bad) && e.contains("count:I/N"), "{e}");
        }
    }

    #[test]
    fn every_item_falls_in_exactly_one_partition() {
        for count in 1..=5u64 {
            let parts: Vec<Partition> = (1..=count)
                .map(|i| Partition::count(i, count).unwrap())
                .collect();
            for item in 0..23 {
                let owners = parts.iter().filter(|p| p.contains(item)).count();
                assert_eq!(owners, 1, "item {item} of {count} partitions");
            }
            let sizes: Vec<usize> = parts
                .iter()
                .map(|p| p.select((0..23).collect()).len())
                .collect();
            assert_eq!(sizes.iter().sum::<usize>(), 23);
            assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
        }
        assert_eq!(Partition::count(2, 3).unwrap().shard(), (1, 3));
    }

    #[test]
    fn the_flag_then_the_variable_then_the_indexed_job_decide() {
        let flag = PartitionArgs {
            partition: Some(Partition::count(1, 2).unwrap()),
            partition_count: None,
        };
        let none = PartitionArgs::default();
        let counted = PartitionArgs {
            partition: None,
            partition_count: Some(4),
        };
        let both = env(&[(PARTITION_ENV, "count:2/2"), (JOB_INDEX_ENV, "3")]);
        assert_eq!(flag.resolve(&both).unwrap(), Partition::count(1, 2).ok());
        assert_eq!(none.resolve(&both).unwrap(), Partition::count(2, 2).ok());
        assert_eq!(none.resolve(env(&[])).unwrap(), None);
        // An indexed job's index alone does not partition: the count is missing.
        assert_eq!(none.resolve(env(&[(JOB_INDEX_ENV, "1")])).unwrap(), None);
        assert_eq!(
            counted.resolve(env(&[(JOB_INDEX_ENV, "3")])).unwrap(),
            Partition::count(4, 4).ok()
        );
        assert_eq!(
            none.resolve(env(&[(JOB_INDEX_ENV, "0"), (PARTITION_COUNT_ENV, "3")]))
                .unwrap(),
            Partition::count(1, 3).ok()
        );
        let e = counted.resolve(env(&[(JOB_INDEX_ENV, "4")])).unwrap_err();
        assert!(e.contains("not below the count 4"), "{e}");
        let e = counted.resolve(env(&[])).unwrap_err();
        assert!(e.contains(JOB_INDEX_ENV), "{e}");
        let e = none.resolve(env(&[(PARTITION_ENV, "3/2")])).unwrap_err();
        assert!(e.starts_with("$NOTIFIER_CHECK_PARTITION: "), "{e}");
    }
}

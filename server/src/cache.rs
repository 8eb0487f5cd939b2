//! A cache with single flight: concurrent lookups of one key share one fetch, lookups of
//! different keys run side by side, and answers stay for the time their fetch allows.
//!
//! Every key has a slot behind an async mutex. The first caller fetches while holding it;
//! callers that queued meanwhile see that the slot's generation moved on and take that
//! answer, even one that is not kept (a transient error), instead of fetching again.

use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use futures::future::BoxFuture;

pub struct Cache<K, V> {
    slots: DashMap<K, Arc<Slot<V>>>,
}

struct Slot<V> {
    /// Bumped after every fetch, so that a caller that queued behind a fetch can tell.
    generation: AtomicU64,
    /// The latest answer and until when it may be served to new lookups.
    last: tokio::sync::Mutex<Option<(Instant, V)>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Default for Cache<K, V> {
    fn default() -> Self {
        Cache {
            slots: DashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    /// The cached answer for `key`, or the answer of `fetch`, which returns the value and how
    /// long to keep it (zero: share it with the callers already waiting, keep it for nobody
    /// else).
    pub async fn get<'a>(&self, key: K, fetch: impl FnOnce() -> BoxFuture<'a, (V, Duration)>) -> V {
        let slot = self
            .slots
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Slot {
                    generation: AtomicU64::new(0),
                    last: tokio::sync::Mutex::new(None),
                })
            })
            .clone();
        let seen = slot.generation.load(Ordering::Acquire);
        let mut last = slot.last.lock().await;
        if slot.generation.load(Ordering::Acquire) != seen {
            // A fetch finished while this lookup waited for it: its answer is ours too.
            if let Some((_, v)) = &*last {
                return v.clone();
            }
        }
        if let Some(v) = fresh(&last) {
            return v;
        }
        let (value, ttl) = fetch().await;
        *last = Some((Instant::now() + ttl, value.clone()));
        slot.generation.fetch_add(1, Ordering::Release);
        value
    }

    /// The cached answer, if there is a fresh one and no fetch holds the slot.
    pub fn peek(&self, key: &K) -> Option<V> {
        let slot = self.slots.get(key)?.clone();
        let last = slot.last.try_lock().ok()?;
        fresh(&last)
    }

    pub fn clear(&self) {
        self.slots.clear();
    }
}

fn fresh<V: Clone>(last: &Option<(Instant, V)>) -> Option<V> {
    match last {
        Some((until, v)) if *until > Instant::now() => Some(v.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn concurrent_lookups_share_one_fetch() {
        let cache: Arc<Cache<&str, u32>> = Arc::default();
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..100 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get("a", || {
                        Box::pin(async move {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            (7, Duration::from_secs(60))
                        })
                    })
                    .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), 7);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert_eq!(cache.peek(&"a"), Some(7));
    }

    #[tokio::test]
    async fn unkept_answers_are_shared_with_waiters_only() {
        let cache: Arc<Cache<&'static str, u32>> = Arc::default();
        let fetches = Arc::new(AtomicUsize::new(0));
        let lookup = |cache: Arc<Cache<&'static str, u32>>, fetches: Arc<AtomicUsize>| async move {
            cache
                .get("a", || {
                    Box::pin(async move {
                        let n = fetches.fetch_add(1, Ordering::SeqCst) as u32;
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        (n, Duration::ZERO)
                    })
                })
                .await
        };
        let (a, b) = tokio::join!(
            lookup(cache.clone(), fetches.clone()),
            lookup(cache.clone(), fetches.clone())
        );
        assert_eq!((a, b), (0, 0));
        assert_eq!(cache.peek(&"a"), None);
        assert_eq!(lookup(cache.clone(), fetches.clone()).await, 1);
    }

    #[tokio::test]
    async fn different_keys_fetch_side_by_side() {
        let cache: Arc<Cache<u32, u32>> = Arc::default();
        let start = Instant::now();
        let tasks: Vec<_> = (0..20)
            .map(|k| {
                let cache = cache.clone();
                tokio::spawn(async move {
                    cache
                        .get(k, || {
                            Box::pin(async move {
                                tokio::time::sleep(Duration::from_millis(100)).await;
                                (k, Duration::from_secs(60))
                            })
                        })
                        .await
                })
            })
            .collect();
        for (k, t) in tasks.into_iter().enumerate() {
            assert_eq!(t.await.unwrap(), k as u32);
        }
        assert!(
            start.elapsed() < Duration::from_millis(1000),
            "{:?}",
            start.elapsed()
        );
    }
}

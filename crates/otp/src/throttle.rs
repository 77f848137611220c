//! django-otp's `ThrottlingMixin` as pure logic: after `n` consecutive failures the next attempt
//! is refused until `factor * 2^(n-1)` seconds have passed since the last failure.

/// Default factor, as `OTP_*_THROTTLE_FACTOR` in django-otp.
pub const DEFAULT_FACTOR: u64 = 1;

/// Doubling stops here so the delay cannot overflow (2^40 s is longer than any session).
const MAX_EXPONENT: u32 = 40;

/// Consecutive-failure state of one device or one login subject. Persist it with the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Throttle {
    /// Failures since the last success.
    pub failures: u32,
    /// Unix time of the last failure.
    pub last_failure: Option<u64>,
}

impl Throttle {
    /// Seconds the caller must wait before trying again at `now`, or `None` if it may try now.
    /// A `factor` of 0 disables throttling.
    pub fn retry_after(&self, now: u64, factor: u64) -> Option<u64> {
        let last = self.last_failure?;
        if self.failures == 0 || factor == 0 {
            return None;
        }
        let required = self.required_delay(factor);
        let elapsed = now.saturating_sub(last);
        (elapsed < required).then(|| required - elapsed)
    }

    /// Whether an attempt at `now` is allowed.
    pub fn allows(&self, now: u64, factor: u64) -> bool {
        self.retry_after(now, factor).is_none()
    }

    /// `factor * 2^(failures-1)`, the wait that the current failure count imposes.
    pub fn required_delay(&self, factor: u64) -> u64 {
        if self.failures == 0 {
            return 0;
        }
        let exponent = (self.failures - 1).min(MAX_EXPONENT);
        factor.saturating_mul(1u64 << exponent)
    }

    /// The state after a failed attempt at `now`.
    pub fn failed(self, now: u64) -> Self {
        Throttle {
            failures: self.failures.saturating_add(1),
            last_failure: Some(now),
        }
    }

    /// The state after a success.
    pub fn succeeded(self) -> Self {
        Throttle::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_factor() {
        let mut t = Throttle::default();
        assert!(t.allows(1000, 1));
        t = t.failed(1000);
        // One failure: 1 s.
        assert_eq!(t.retry_after(1000, 1), Some(1));
        assert!(t.allows(1001, 1));
        t = t.failed(1001).failed(1001);
        // Three failures: 4 s after the last one.
        assert_eq!(t.retry_after(1001, 1), Some(4));
        assert_eq!(t.retry_after(1004, 1), Some(1));
        assert!(t.allows(1005, 1));
        // Factor scales it; 0 disables.
        assert_eq!(t.retry_after(1001, 10), Some(40));
        assert!(t.allows(1001, 0));
        assert!(t.succeeded().allows(1001, 1));
    }

    #[test]
    fn never_overflows() {
        let t = Throttle {
            failures: u32::MAX,
            last_failure: Some(0),
        };
        assert_eq!(t.required_delay(u64::MAX), u64::MAX);
        assert_eq!(t.retry_after(5, 1), Some((1u64 << 40) - 5));
        assert!(t.allows(u64::MAX, 1));
        assert_eq!(t.failed(5).failures, u32::MAX);
    }
}

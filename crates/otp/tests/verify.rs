//! django-otp's verification semantics: tolerance edges, drift, replay rejection, HOTP
//! look-ahead and resync, and throttle timing, all at fixed instants.

use keygate_otp::code::{hotp, totp};
use keygate_otp::throttle::Throttle;
use keygate_otp::verify::{
    verify_hotp_at, verify_totp_at, HotpConfig, HotpState, Outcome, TotpConfig, TotpState,
};
use keygate_otp::{Algorithm, Secret};

fn secret() -> Secret {
    Secret::from_bytes(b"12345678901234567890".to_vec())
}

/// The code for step `t` with the default config.
fn code_for_step(t: u64) -> String {
    totp(&secret(), t * 30, 30, 0, Algorithm::Sha1, 6).unwrap()
}

const NOW: u64 = 1_700_000_015; // step 56_666_667, 15 s into it
const STEP: u64 = NOW / 30;

/// No throttling, to look at the window alone.
fn config() -> TotpConfig {
    TotpConfig {
        throttle_factor: 0,
        ..TotpConfig::default()
    }
}

#[test]
fn tolerance_accepts_one_step_each_side_and_no_further() {
    for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
        let token = code_for_step((STEP as i64 + offset) as u64);
        let v = verify_totp_at(&secret(), &config(), TotpState::default(), &token, NOW).unwrap();
        assert_eq!(v.outcome.is_accepted(), accepted, "offset {offset}");
        if accepted {
            assert_eq!(v.state.last_t, STEP as i64 + offset);
            assert_eq!(
                v.state.drift, offset,
                "drift follows the match (OTP_TOTP_SYNC)"
            );
        } else {
            assert_eq!((v.state.last_t, v.state.drift), (-1, 0));
            assert_eq!(v.state.throttle.failures, 1);
        }
    }
    let wide = TotpConfig {
        tolerance: 2,
        ..config()
    };
    let token = code_for_step(STEP - 2);
    assert!(
        verify_totp_at(&secret(), &wide, TotpState::default(), &token, NOW)
            .unwrap()
            .outcome
            .is_accepted()
    );
}

#[test]
fn window_edges_follow_the_step_boundary() {
    // Last second of a step and first second of the next.
    let end_of_step = STEP * 30 + 29;
    let token = code_for_step(STEP + 2);
    let v = verify_totp_at(
        &secret(),
        &config(),
        TotpState::default(),
        &token,
        end_of_step,
    )
    .unwrap();
    assert_eq!(v.outcome, Outcome::Invalid);
    let v = verify_totp_at(
        &secret(),
        &config(),
        TotpState::default(),
        &token,
        end_of_step + 1,
    )
    .unwrap();
    assert_eq!(v.outcome, Outcome::Accepted);
}

#[test]
fn replay_of_the_same_code_is_refused_and_reported() {
    let token = code_for_step(STEP);
    let first = verify_totp_at(&secret(), &config(), TotpState::default(), &token, NOW).unwrap();
    assert_eq!(first.outcome, Outcome::Accepted);
    let again = verify_totp_at(&secret(), &config(), first.state, &token, NOW + 5).unwrap();
    assert_eq!(again.outcome, Outcome::Replayed);
    assert_eq!(again.state.last_t, first.state.last_t);
    assert_eq!(
        again.state.throttle.failures, 1,
        "a replay counts as a failure"
    );
    // An older code in the window is refused too once a newer one was used.
    let older = code_for_step(STEP - 1);
    let v = verify_totp_at(&secret(), &config(), first.state, &older, NOW).unwrap();
    assert_eq!(v.outcome, Outcome::Replayed);
    // The next step's code is still good.
    let next = code_for_step(STEP + 1);
    let v = verify_totp_at(&secret(), &config(), first.state, &next, NOW + 30).unwrap();
    assert_eq!(v.outcome, Outcome::Accepted);
}

#[test]
fn drift_is_learned_and_then_used() {
    // A token generator running 1 step ahead; accepted at offset +1, drift becomes 1.
    let ahead = code_for_step(STEP + 1);
    let v = verify_totp_at(&secret(), &config(), TotpState::default(), &ahead, NOW).unwrap();
    assert_eq!((v.outcome, v.state.drift), (Outcome::Accepted, 1));
    // With drift 1, the window is now centred on STEP+1: a code 2 steps ahead of the server
    // clock is accepted later, and drift grows to 2.
    let later = NOW + 30;
    let ahead2 = code_for_step(STEP + 1 + 2);
    let v2 = verify_totp_at(&secret(), &config(), v.state, &ahead2, later).unwrap();
    assert_eq!((v2.outcome, v2.state.drift), (Outcome::Accepted, 2));
    // Without the learned drift the same token would have been out of the window.
    let fresh = verify_totp_at(&secret(), &config(), TotpState::default(), &ahead2, later).unwrap();
    assert_eq!(fresh.outcome, Outcome::Invalid);
}

#[test]
fn tokens_are_read_as_integers_like_django_otp() {
    let token = code_for_step(STEP);
    let spaced = format!("{} {}", &token[..3], &token[3..]);
    for t in [token.clone(), spaced, format!("0{token}")] {
        let v = verify_totp_at(&secret(), &config(), TotpState::default(), &t, NOW).unwrap();
        assert_eq!(v.outcome, Outcome::Accepted, "{t:?}");
    }
    for bad in ["", "abcdef", "12345a", "-123456", "99999999999999999999999"] {
        let v = verify_totp_at(&secret(), &config(), TotpState::default(), bad, NOW).unwrap();
        assert_eq!(v.outcome, Outcome::Invalid, "{bad:?}");
    }
}

#[test]
fn t0_and_other_algorithms() {
    let cfg = TotpConfig {
        algorithm: Algorithm::Sha512,
        digits: 8,
        step: 60,
        t0: 1_000,
        ..config()
    };
    let s = Secret::from_bytes(vec![7u8; 64]);
    let token = totp(&s, NOW, 60, 1_000, Algorithm::Sha512, 8).unwrap();
    let v = verify_totp_at(&s, &cfg, TotpState::default(), &token, NOW).unwrap();
    assert_eq!(v.outcome, Outcome::Accepted);
    assert_eq!(v.state.last_t, ((NOW - 1_000) / 60) as i64);
    // Before t0 nothing matches, nothing panics.
    let v = verify_totp_at(&s, &cfg, TotpState::default(), &token, 10).unwrap();
    assert_eq!(v.outcome, Outcome::Invalid);
    // A bad config is an error, not a panic.
    let bad = TotpConfig { step: 0, ..cfg };
    assert!(verify_totp_at(&s, &bad, TotpState::default(), &token, NOW).is_err());
}

#[test]
fn hotp_look_ahead_and_resync() {
    let cfg = HotpConfig {
        throttle_factor: 0,
        ..HotpConfig::default()
    };
    let code = |c| hotp(&secret(), c, Algorithm::Sha1, 6).unwrap();
    // RFC 4226 vectors through the verifier.
    assert_eq!(code(0), "755224");
    let start = HotpState::default();
    // Counter 5 is within the look-ahead of 5: accepted, counter resyncs to 6.
    let v = verify_hotp_at(&secret(), &cfg, start, &code(5), 0).unwrap();
    assert_eq!((v.outcome, v.state.counter), (Outcome::Accepted, 6));
    // Counter 6 from a fresh state is out of reach.
    let v6 = verify_hotp_at(&secret(), &cfg, start, &code(6), 0).unwrap();
    assert_eq!(v6.outcome, Outcome::Invalid);
    // After resync, the used code and earlier ones are refused; the next one works.
    let after = v.state;
    for used in [0, 3, 5] {
        let r = verify_hotp_at(&secret(), &cfg, after, &code(used), 0).unwrap();
        assert_eq!(r.outcome, Outcome::Invalid, "counter {used}");
    }
    let n = verify_hotp_at(&secret(), &cfg, after, &code(6), 0).unwrap();
    assert_eq!((n.outcome, n.state.counter), (Outcome::Accepted, 7));
}

#[test]
fn throttle_timing_matches_django_otp() {
    let cfg = TotpConfig::default(); // factor 1
    let good = code_for_step(STEP);
    let mut state = TotpState::default();
    let mut now = NOW;
    // Three failures in a row, each made as soon as allowed: waits 1, 2 s.
    for (i, wait) in [(1u32, 1u64), (2, 2), (3, 4)] {
        let v = verify_totp_at(&secret(), &cfg, state, "000000", now).unwrap();
        assert_eq!(v.outcome, Outcome::Invalid);
        state = v.state;
        assert_eq!(state.throttle.failures, i);
        assert_eq!(state.throttle.retry_after(now, 1), Some(wait));
        // Even the right code is refused while throttled, and the state does not change.
        let blocked = verify_totp_at(&secret(), &cfg, state, &good, now + wait - 1).unwrap();
        assert_eq!(blocked.outcome, Outcome::Throttled { retry_after: 1 });
        assert_eq!(blocked.state, state);
        now += wait;
    }
    // Allowed again after 4 s; success resets the throttle.
    let ok = verify_totp_at(&secret(), &cfg, state, &good, now).unwrap();
    assert_eq!(ok.outcome, Outcome::Accepted);
    assert_eq!(ok.state.throttle, Throttle::default());

    // HOTP throttles the same way, with the configured factor.
    let hcfg = HotpConfig {
        throttle_factor: 10,
        ..HotpConfig::default()
    };
    let h = verify_hotp_at(&secret(), &hcfg, HotpState::default(), "000000", 100).unwrap();
    let blocked = verify_hotp_at(&secret(), &hcfg, h.state, "755224", 105).unwrap();
    assert_eq!(blocked.outcome, Outcome::Throttled { retry_after: 5 });
    let ok = verify_hotp_at(&secret(), &hcfg, h.state, "755224", 110).unwrap();
    assert_eq!((ok.outcome, ok.state.counter), (Outcome::Accepted, 1));
}

//! What `keygate scan FILE...` prints, for benchmarks while the CLI is not built: every QR
//! payload of each file, one per line, in reading order. A file that cannot be read or holds no
//! code is reported on stderr and makes the exit status 1.

use std::path::Path;

fn main() {
    let mut failed = false;
    for arg in std::env::args_os().skip(1) {
        match keygate_qr::decode_file(Path::new(&arg)) {
            Ok(payloads) => {
                for payload in payloads {
                    println!("{payload}");
                }
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed {
        std::process::exit(1);
    }
}

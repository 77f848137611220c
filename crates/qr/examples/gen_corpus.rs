//! Writes the generated test screenshots (full HD, 4K, 8K with QR codes, see
//! tests/support/screens.rs) as PNG files into a directory, with the expected payloads in
//! `NAME.txt` (one per line, in reading order). Used by scripts/bench-qr.sh.
//!
//! Usage: gen_corpus DIR

#[path = "../tests/support/screens.rs"]
mod screens;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: gen_corpus DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    std::fs::create_dir_all(&dir).expect("creating the output directory");
    for screen in screens::bench_screens() {
        let img = screens::render(&screen);
        let base = dir.join(format!(
            "{}x{}-{}",
            screen.width, screen.height, screen.name
        ));
        img.save(base.with_extension("png"))
            .expect("writing the image");
        std::fs::write(base.with_extension("txt"), screen.expected().join("\n"))
            .expect("writing the expected payloads");
        println!("{}", base.with_extension("png").display());
    }
}

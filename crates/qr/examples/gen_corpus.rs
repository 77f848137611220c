//! Writes the generated test screenshots (see tests/support/screens.rs) as PNG files, with the
//! expected payloads in `NAME.txt` (one per line, in reading order), into three folders of DIR:
//! `bench/` (five screens each at full HD, 4K and 8K, named `WxH-NAME`), `tests/` (the screens
//! of tests/generated_corpus.rs), `hidpi/` (its HiDPI resampling matrix) and `empty/` (screens
//! without a code, where a decoder spends the most and must find nothing). Used by
//! scripts/bench-qr.sh.
//!
//! Usage: gen_corpus DIR

#[path = "../tests/support/screens.rs"]
mod screens;

use std::path::Path;

fn write(dir: &Path, name: &str, screen: &screens::Screen) {
    let img = screens::render(screen);
    // Names such as "m2-s1.25-t0" hold dots: append the extension, do not replace one.
    let png = dir.join(format!("{name}.png"));
    img.save(&png).expect("writing the image");
    std::fs::write(
        dir.join(format!("{name}.txt")),
        screen.expected().join("\n"),
    )
    .expect("writing the expected payloads");
    println!("{}", png.display());
}

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: gen_corpus DIR");
        std::process::exit(2);
    };
    let dir = std::path::PathBuf::from(dir);
    for (set, screens) in [
        ("bench", screens::bench_screens()),
        ("tests", screens::standard_screens()),
        ("hidpi", screens::hidpi_matrix()),
        ("empty", screens::empty_screens()),
    ] {
        let out = dir.join(set);
        std::fs::create_dir_all(&out).expect("creating the output directory");
        for screen in &screens {
            let name = format!("{}x{}-{}", screen.width, screen.height, screen.name);
            write(&out, &name, screen);
        }
    }
}

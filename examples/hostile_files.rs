//! Writes the regression folder of hostile files (default `hostile/`):
//! `cargo run --example hostile_files [FOLDER]`, for fuzzing or checking a release
//! by hand. The cases are built in `tests/common/hostile.rs`, which
//! `tests/hostile_regressions.rs` runs through every entry point.

#[path = "../tests/common/hostile.rs"]
#[allow(dead_code)]
mod hostile;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os().nth(1).map(std::path::PathBuf::from).unwrap_or_else(|| "hostile".into());
    std::fs::create_dir_all(&dir)?;
    for file in hostile::files() {
        std::fs::write(dir.join(file.name), &file.bytes)?;
        println!("{:>9} bytes  {}", file.bytes.len(), file.name);
    }
    Ok(())
}

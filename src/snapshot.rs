//! Snapshots, as `cdefang test` keeps them: a short header, then the output's bytes exactly
//! (CRLF, non-UTF-8 bytes and a missing final newline included).
//!
//! ```text
//! ---
//! source: el5.toml
//! case: utils-2x
//! file: core/utils.c
//! ---
//! <the output>
//! ```
//!
//! Only the content is compared; the header says where the snapshot comes from. A snapshot that
//! is missing or differs gets a pending `<snapshot>.new` beside it, for review.

use std::path::{Path, PathBuf};

/// `path` with `.new` appended: the pending version of a snapshot.
pub fn pending_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_os_string();
    name.push(".new");
    PathBuf::from(name)
}

/// A snapshot file: the header, then the content.
pub fn snapshot_bytes(source: &str, case: &str, file: &str, content: &[u8]) -> Vec<u8> {
    let mut bytes =
        format!("---\nsource: {source}\ncase: {case}\nfile: {file}\n---\n").into_bytes();
    bytes.extend_from_slice(content);
    bytes
}

/// The content of a snapshot file, after its header; `None` if it has no header.
pub fn snapshot_content(bytes: &[u8]) -> Option<&[u8]> {
    let rest = bytes.strip_prefix(b"---\n")?;
    if let Some(content) = rest.strip_prefix(b"---\n") {
        return Some(content);
    }
    let end = memchr::memmem::find(rest, b"\n---\n")?;
    Some(&rest[end + 5..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_header_round_trips_any_bytes() {
        for content in [
            &b""[..],
            b"int a;\n",
            b"no final newline",
            b"---\n---\n",
            b"\xff\r\n",
        ] {
            let bytes = snapshot_bytes("el5.toml", "x", "core/x.c", content);
            assert!(bytes.starts_with(b"---\nsource: el5.toml\ncase: x\nfile: core/x.c\n---\n"));
            assert_eq!(snapshot_content(&bytes), Some(content));
        }
        assert_eq!(snapshot_content(b"int a;\n"), None);
        assert_eq!(snapshot_content(b"---\nsource: x\n"), None);
    }
}

//! Unit tests of `private_file.rs`, on real files in a temporary folder.

use super::*;

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_new_file_is_for_the_owner_only_and_never_created_through_a_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let access = FileAccess::owner_only();
    let path = dir.path().join("new");
    access.create_new(&path).expect("create");
    assert_eq!(mode(&path), 0o600);

    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").expect("victim");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&victim, &link).expect("link");
    assert!(access.create_new(&link).is_err());
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
}

#[test]
fn replacing_writes_a_private_file_and_refuses_a_link_at_the_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    let access = FileAccess::owner_only();
    let path = dir.path().join("out");
    std::fs::write(&path, "old").expect("old");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    access.write_replacing(&path, b"new").expect("replace");
    assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
    assert_eq!(mode(&path), 0o600, "the replacement is a new, private file");

    let victim = dir.path().join("victim");
    std::fs::write(&victim, "keep").expect("victim");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&victim, &link).expect("link");
    let err = access.write_replacing(&link, b"evil").expect_err("refused");
    assert!(err.to_string().contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).expect("read"), "keep");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("lstat")
            .file_type()
            .is_symlink()
    );
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("list").collect();
    assert_eq!(left.len(), 3, "no temporary file is left behind: {left:?}");
}

#[test]
fn restrict_tightens_an_own_file_and_leaves_links_alone() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("db");
    std::fs::write(&path, "").expect("db");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let victim = dir.path().join("victim");
    std::fs::write(&victim, "").expect("victim");
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&victim, &link).expect("link");

    let access = FileAccess::owner_only();
    access.restrict(&path).expect("restrict");
    access.restrict(&link).expect("a link is skipped");
    access
        .restrict(&dir.path().join("missing"))
        .expect("missing is skipped");
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&victim), 0o644);
}

#[test]
fn a_group_that_does_not_exist_is_named_in_the_error() {
    let err = FileAccess::try_from("no-such-group-pb14".to_owned()).expect_err("unknown");
    assert!(err.contains("no-such-group-pb14"), "{err}");
    assert_eq!(
        FileAccess::try_from(String::new()),
        Ok(FileAccess::owner_only())
    );
}

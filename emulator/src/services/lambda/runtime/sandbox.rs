//! AWS's filesystem layout for a runtime process: the function's code at `/var/task`, the
//! runtime's own files at `/var/runtime` and the layers at `/opt`, each bound into a private
//! mount namespace of that process only (Linux). Where the kernel refuses (no namespaces, no
//! permission for an unprivileged user namespace), environments run from their temporary
//! directories instead, and their variables name those directories.
//!
//! The namespace is entered between fork and exec, so that code may only make system calls: all
//! paths and texts are prepared before the fork.

use std::path::{Path, PathBuf};

/// Where AWS puts things, as the function sees them.
pub const TASK_ROOT: &str = "/var/task";
pub const RUNTIME_DIR: &str = "/var/runtime";
pub const OPT_DIR: &str = "/opt";
/// Where AWS installs the language (the interpreter's prefix).
pub const LANG_DIR: &str = "/var/lang";

/// The host directories to show at AWS's paths.
#[derive(Debug, Clone)]
pub struct Binds {
    pub task: PathBuf,
    pub runtime: PathBuf,
    pub opt: PathBuf,
    /// A self-contained interpreter installation to show at /var/lang.
    pub lang: Option<PathBuf>,
}

#[cfg(target_os = "linux")]
mod linux {
    use std::ffi::CString;
    use std::io;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    use super::Binds;

    fn cstr(s: &[u8]) -> io::Result<CString> {
        CString::new(s).map_err(|_| io::Error::other("path with a NUL byte"))
    }

    fn check(rc: libc::c_int) -> io::Result<()> {
        if rc < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    /// Everything the child needs, allocated before the fork.
    pub struct Plan {
        /// `uid uid 1` / `gid gid 1` when an unprivileged user namespace is needed.
        id_maps: Option<(CString, CString)>,
        task: CString,
        runtime: CString,
        opt: CString,
        lang: Option<CString>,
        /// Fixed texts and paths (tmpfs options, mount points, symlinks).
        fixed: Fixed,
    }

    struct Fixed {
        root: CString,
        var: CString,
        tmpfs: CString,
        tmpfs_opts: CString,
        var_task: CString,
        var_runtime: CString,
        var_lang: CString,
        var_tmp: CString,
        run: CString,
        var_run: CString,
        run_lock: CString,
        var_lock: CString,
        opt: CString,
        setgroups: CString,
        deny: CString,
        uid_map: CString,
        gid_map: CString,
    }

    impl Plan {
        pub fn new(binds: &Binds) -> io::Result<Plan> {
            // SAFETY: plain getters without preconditions.
            let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
            let id_maps = (uid != 0)
                .then(|| -> io::Result<(CString, CString)> {
                    Ok((
                        cstr(format!("{uid} {uid} 1").as_bytes())?,
                        cstr(format!("{gid} {gid} 1").as_bytes())?,
                    ))
                })
                .transpose()?;
            let c = |s: &str| cstr(s.as_bytes());
            Ok(Plan {
                id_maps,
                task: cstr(binds.task.as_os_str().as_bytes())?,
                runtime: cstr(binds.runtime.as_os_str().as_bytes())?,
                opt: cstr(binds.opt.as_os_str().as_bytes())?,
                lang: match &binds.lang {
                    Some(p) => Some(cstr(p.as_os_str().as_bytes())?),
                    None => None,
                },
                fixed: Fixed {
                    root: c("/")?,
                    var: c("/var")?,
                    tmpfs: c("tmpfs")?,
                    tmpfs_opts: c("mode=755")?,
                    var_task: c(super::TASK_ROOT)?,
                    var_runtime: c(super::RUNTIME_DIR)?,
                    var_lang: c(super::LANG_DIR)?,
                    var_tmp: c("/var/tmp")?,
                    run: c("/run")?,
                    var_run: c("/var/run")?,
                    run_lock: c("/run/lock")?,
                    var_lock: c("/var/lock")?,
                    opt: c(super::OPT_DIR)?,
                    setgroups: c("/proc/self/setgroups")?,
                    deny: c("deny")?,
                    uid_map: c("/proc/self/uid_map")?,
                    gid_map: c("/proc/self/gid_map")?,
                },
            })
        }

        /// Runs in the child between fork and exec: system calls only, no allocation.
        ///
        /// # Safety
        /// Must only be called in a freshly forked child (it changes the process' namespaces).
        pub unsafe fn enter(&self) -> io::Result<()> {
            let f = &self.fixed;
            match &self.id_maps {
                None => check(libc::unshare(libc::CLONE_NEWNS))?,
                Some((uid_map, gid_map)) => {
                    check(libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNS))?;
                    write_file(&f.setgroups, &f.deny)?;
                    write_file(&f.uid_map, uid_map)?;
                    write_file(&f.gid_map, gid_map)?;
                }
            }
            // Nothing done here may reach the host's mount table.
            check(libc::mount(
                std::ptr::null(),
                f.root.as_ptr(),
                std::ptr::null(),
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            // A fresh /var: Lambda's has little besides task and runtime, and its mount points
            // need not exist on the host.
            check(libc::mount(
                f.tmpfs.as_ptr(),
                f.var.as_ptr(),
                f.tmpfs.as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                f.tmpfs_opts.as_ptr().cast(),
            ))?;
            check(libc::mkdir(f.var_task.as_ptr(), 0o755))?;
            check(libc::mkdir(f.var_runtime.as_ptr(), 0o755))?;
            check(libc::mkdir(f.var_tmp.as_ptr(), 0o777))?;
            check(libc::chmod(f.var_tmp.as_ptr(), 0o1777))?;
            check(libc::symlink(f.run.as_ptr(), f.var_run.as_ptr()))?;
            check(libc::symlink(f.run_lock.as_ptr(), f.var_lock.as_ptr()))?;
            bind(&self.task, &f.var_task, true)?;
            bind(&self.runtime, &f.var_runtime, true)?;
            bind(&self.opt, &f.opt, true)?;
            if let Some(lang) = &self.lang {
                check(libc::mkdir(f.var_lang.as_ptr(), 0o755))?;
                bind(lang, &f.var_lang, true)?;
            }
            check(libc::chdir(f.var_task.as_ptr()))
        }
    }

    unsafe fn write_file(path: &CString, text: &CString) -> io::Result<()> {
        let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        check(fd)?;
        let bytes = text.as_bytes();
        let n = libc::write(fd, bytes.as_ptr().cast(), bytes.len());
        let err = io::Error::last_os_error();
        libc::close(fd);
        if n < 0 || n as usize != bytes.len() {
            return Err(err);
        }
        Ok(())
    }

    unsafe fn bind(from: &CString, to: &CString, read_only: bool) -> io::Result<()> {
        let flags = libc::MS_BIND | libc::MS_REC;
        check(libc::mount(
            from.as_ptr(),
            to.as_ptr(),
            std::ptr::null(),
            flags,
            std::ptr::null(),
        ))?;
        if read_only {
            // As on AWS, the code cannot be changed from inside (and environments share it).
            check(libc::mount(
                std::ptr::null(),
                to.as_ptr(),
                std::ptr::null(),
                flags | libc::MS_REMOUNT | libc::MS_RDONLY,
                std::ptr::null(),
            ))?;
        }
        Ok(())
    }

    /// Whether this machine lets us build the layout: tried once with `/bin/true` in it.
    pub fn probe(scratch: &Path) -> bool {
        use std::os::unix::process::CommandExt;
        if !Path::new(super::OPT_DIR).is_dir() {
            // The bind needs a mount point that exists on the host.
            return false;
        }
        let dirs = ["task", "runtime", "opt"].map(|d| scratch.join(d));
        if dirs.iter().any(|d| std::fs::create_dir_all(d).is_err()) {
            return false;
        }
        let [task, runtime, opt] = dirs;
        let Ok(plan) = Plan::new(&Binds {
            task,
            runtime,
            opt,
            lang: None,
        }) else {
            return false;
        };
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.args(["-c", "test \"$(pwd)\" = /var/task && test -d /var/runtime"])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        // SAFETY: `enter` only makes system calls on memory prepared before the fork.
        unsafe {
            cmd.pre_exec(move || plan.enter());
        }
        cmd.status().is_ok_and(|s| s.success())
    }
}

#[cfg(target_os = "linux")]
pub use linux::Plan;

/// Whether runtime processes get AWS's layout here; decided once per process, with `scratch`
/// (an empty directory) for the trial run.
pub fn available(scratch: &Path) -> bool {
    static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        #[cfg(target_os = "linux")]
        {
            linux::probe(scratch)
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = scratch;
            false
        }
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    /// Where the machine allows namespaces, a process sees the three directories at AWS's
    /// paths, read-only, and starts in /var/task; the host's mount table is untouched.
    #[test]
    fn the_layout_shows_the_bound_directories() {
        let scratch = tempfile::tempdir().unwrap();
        if !available(&scratch.path().join("probe")) {
            eprintln!("mount namespaces are not available here; nothing to check");
            return;
        }
        let dirs = ["task", "runtime", "opt"].map(|d| scratch.path().join(d));
        for (d, file) in dirs.iter().zip(["handler.py", "bootstrap.py", "layer.txt"]) {
            std::fs::create_dir_all(d).unwrap();
            std::fs::write(d.join(file), "x").unwrap();
        }
        let [task, runtime, opt] = dirs;
        let plan = Plan::new(&Binds {
            task,
            runtime,
            opt,
            lang: None,
        })
        .unwrap();
        let mut cmd = std::process::Command::new("/bin/sh");
        cmd.args([
            "-c",
            "pwd; ls /var/task; ls /var/runtime; ls /opt; touch /var/task/new 2>/dev/null || echo read-only",
        ]);
        // SAFETY: `enter` only makes system calls on memory prepared before the fork.
        unsafe {
            cmd.pre_exec(move || plan.enter());
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "/var/task\nhandler.py\nbootstrap.py\nlayer.txt\nread-only\n"
        );
        assert!(!Path::new(TASK_ROOT).join("handler.py").exists());
    }
}

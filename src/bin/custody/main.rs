//! The `custody` binary: parses argv (clap), reads the environment
//! (`CUSTODY_ARCHIVE`, `CUSTODY_KEY`, `CUSTODY_PASSPHRASE`, and
//! `XDG_DATA_HOME` / `HOME` for the default archive), prompts for
//! passphrases, calls one library command, renders its report as text or
//! `--json`, and maps the outcome to an exit code: 0 all good, 1 findings
//! (or evidence that failed verification), 2 usage or operational error.
//!
//! Must not: contain archive logic; everything it does goes through the
//! library's `XxxOptions -> Result<XxxReport>` calls.

#![allow(clippy::print_stdout)] // the binary is where output belongs

mod args;
mod demo;
mod outputs;
mod render;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use custody::claim::Kind;
use custody::commands::audit::{AuditOptions, audit, status as audit_status};
use custody::commands::claim::{ClaimOptions, claim};
use custody::commands::export::{ExportOptions, export};
use custody::commands::import::{ImportOptions, import};
use custody::commands::ingest::{IngestOptions, collector_claims, ingest};
use custody::commands::keys::{
    KeyAddOptions, KeyNewOptions, KeyRevokeOptions, key_add, key_list, key_new, key_revoke,
};
use custody::commands::search::{SearchOptions, Sort, reindex, search, timeline};
use custody::commands::verify::{VerifyOptions, verify};
use custody::commands::{history, inspect, proof, witness};
use custody::crypto::{SecretKey, keyfile};
use custody::{Archive, Error, ErrorKind, InitOptions, NoProgress, Progress, SystemClock};

use args::{ClaimArgs, ClaimBasis, SearchArgs, names};
use demo::{DemoOptions, demo};

#[derive(Parser)]
#[command(name = "custody", version, about = "Archival evidence store with provenance")]
struct Cli {
    /// Archive directory [default: $XDG_DATA_HOME/custody/archive, else ~/.local/share/custody/archive]
    #[arg(long, global = true, env = "CUSTODY_ARCHIVE")]
    archive: Option<PathBuf>,
    /// Print a JSON report instead of text
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a new archive
    Init {
        /// The collection's name
        #[arg(long)]
        name: String,
    },
    /// Create, register, list and revoke signing keys
    #[command(subcommand)]
    Key(KeyCommand),
    /// Ingest files and folders (recursively; symlinks are not followed),
    /// with the collector's claims from flags or a CSV manifest
    Ingest {
        /// Files and folders
        #[arg(required_unless_present = "manifest")]
        paths: Vec<PathBuf>,
        /// CSV manifest: one row per file (columns: path and the claim fields, see README)
        #[arg(long, conflicts_with = "paths")]
        manifest: Option<PathBuf>,
        /// With --manifest: ingest the good rows even if some are bad (each is reported)
        #[arg(long, requires = "manifest")]
        skip_bad_rows: bool,
        /// Signing key file of the collector
        #[arg(long, env = "CUSTODY_KEY")]
        key: Option<PathBuf>,
        /// PEM file of trust anchors for C2PA content credentials (e.g. a copy of the
        /// C2PA trust list); without it a valid manifest's signer is "not in the trust anchors"
        #[arg(long, value_name = "FILE")]
        c2pa_trust: Option<PathBuf>,
        /// Read every file whole, even those whose size, times and inode say they are
        /// unchanged since they were last hashed here (a re-ingest skips those)
        #[arg(long)]
        rehash: bool,
        /// Worker threads (0 = twice the cores, at most 16)
        #[arg(long, default_value_t = 0)]
        threads: usize,
        #[command(flatten)]
        claims: ClaimArgs,
    },
    /// Sign a claim about an item: source, capture time, location,
    /// description, relation or verification (a correction supersedes)
    Claim {
        /// Item number, item UUID, or blake3 (prefix)
        reference: String,
        /// What the claim is about
        #[arg(long, value_parser = names::<Kind>())]
        kind: Kind,
        /// What it rests on (`embedded` is reserved for values read from the file)
        #[arg(long, value_enum, default_value_t = ClaimBasis::Analyst)]
        basis: ClaimBasis,
        /// The claim (number or UUID) this one corrects
        #[arg(long)]
        supersedes: Option<String>,
        /// The author's signing key file
        #[arg(long, env = "CUSTODY_KEY")]
        key: Option<PathBuf>,
        #[command(flatten)]
        claims: ClaimArgs,
    },
    /// List items with their signature status
    List,
    /// Show an item (number or UUID) or an object (blake3 or 8+ hex digit prefix)
    Show {
        /// Item number, item UUID, or blake3 (prefix)
        reference: String,
        /// Print the signed records themselves (DSSE, one per line), byte-exact
        #[arg(long)]
        envelopes: bool,
    },
    /// Write an object's original bytes to stdout, verifying them as they stream
    Cat {
        /// Item number, item UUID, or blake3 (prefix)
        reference: String,
    },
    /// Re-verify every object, signature, claim, derived column and the custody log
    Audit {
        /// Also recompute SHA-256 of every object
        #[arg(long)]
        deep: bool,
        /// Re-read only the N least recently checked objects (all other checks stay complete)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Stop re-reading objects when this time is up (e.g. 2h, 45m), least recently
        /// checked first; repeated runs cover every object (all other checks stay complete)
        #[arg(long, value_name = "DURATION", value_parser = args::duration)]
        budget: Option<std::time::Duration>,
        /// Only show how far the audits have got (objects never checked, the oldest
        /// check, the last run's findings); checks nothing
        #[arg(long, conflicts_with_all = ["deep", "limit", "budget", "against"])]
        status: bool,
        /// Worker threads (0 = twice the cores, at most 16)
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// A checkpoint kept outside the archive: prove the log extends it
        #[arg(long, value_name = "CHECKPOINT_FILE")]
        against: Option<PathBuf>,
        /// Check that checkpoint with this verifier key, pinned outside the archive (or a file holding it)
        #[arg(long, requires = "against")]
        vkey: Option<String>,
    },
    /// Sign the custody log's current tree head (C2SP tlog-checkpoint) and print it
    Checkpoint {
        /// Also sign with this registered key
        #[arg(long)]
        key: Option<PathBuf>,
    },
    /// The custody timeline: every event, who, when (of the archive, or of one item)
    Log {
        /// Item number, item UUID, or blake3 (prefix)
        reference: Option<String>,
    },
    /// Print an inclusion proof (C2SP tlog-proof) for an item or event, or a consistency proof
    Prove {
        /// Item number, item UUID, or blake3 (prefix)
        #[arg(required_unless_present_any = ["event", "consistency"])]
        reference: Option<String>,
        /// Prove the event with this log index instead
        #[arg(long, conflicts_with = "reference")]
        event: Option<u64>,
        /// Prove against this checkpoint [default: a fresh one]
        #[arg(long, value_name = "FILE")]
        checkpoint: Option<PathBuf>,
        /// Consistency proof from checkpoint OLD to NEW [default NEW: the current tree]
        #[arg(long, num_args = 1..=2, value_names = ["OLD", "NEW"], conflicts_with_all = ["reference", "event", "checkpoint"])]
        consistency: Option<Vec<PathBuf>>,
    },
    /// Check a proof file offline against the log's verifier key (no archive needed)
    VerifyProof {
        /// The proof file
        proof: PathBuf,
        /// The log's verifier key (NAME+ID+KEY), or a file holding it
        #[arg(long)]
        vkey: String,
    },
    /// Witness side: cosign a checkpoint, or store a witness's cosignature
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Export items as a self-verifying BagIt bag (directory, zip or tar)
    Export {
        /// Items or objects (number, UUID, blake3 prefix); or --all, --list, or search filters
        references: Vec<String>,
        /// The bag to create (must not exist)
        #[arg(long, short)]
        out: PathBuf,
        /// Every item
        #[arg(long, conflicts_with = "references")]
        all: bool,
        /// A file of references, one per line (# comments)
        #[arg(long, value_name = "FILE")]
        list: Option<PathBuf>,
        /// How to pack the bag
        #[arg(long, value_parser = ["dir", "zip", "tar"], default_value = "dir")]
        format: String,
        /// Leave claims of this kind out (named in the bag, not given; repeatable)
        #[arg(long, value_parser = names::<Kind>())]
        withhold: Vec<Kind>,
        /// The exporter's signing key file
        #[arg(long, env = "CUSTODY_KEY")]
        key: Option<PathBuf>,
        /// Worker threads (0 = twice the cores, at most 16)
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Also every item these filters match (as `custody search` takes them)
        #[command(flatten)]
        filters: SearchArgs,
    },
    /// Verify a bag offline, with no archive: fixity, signatures, custody proofs
    Verify {
        /// The bag: a directory, .zip or .tar
        bag: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
    },
    /// Import a bag after verifying it: the sender's signed records, and a receipt of our own
    Import {
        /// The bag: a directory, .zip or .tar
        bag: PathBuf,
        #[command(flatten)]
        trust: TrustArgs,
        /// The receiver's signing key file
        #[arg(long, env = "CUSTODY_KEY")]
        key: Option<PathBuf>,
    },
    /// Find items by capture time, place, source, type, tags, verdicts, flags and text
    Search {
        #[command(flatten)]
        filters: SearchArgs,
        /// Order [default: rank with --text, distance with --near, else capture time]
        #[arg(long, value_parser = names::<Sort>())]
        sort: Option<Sort>,
        /// At most this many items
        #[arg(long, default_value_t = 100)]
        limit: usize,
        /// Skip this many first
        #[arg(long, default_value_t = 0)]
        offset: usize,
        /// RFC 4180 CSV (columns in schema/FORMAT.md; formula cells guarded)
        #[arg(long, conflicts_with = "geojson")]
        csv: bool,
        /// An RFC 7946 GeoJSON FeatureCollection of the items with a position
        #[arg(long)]
        geojson: bool,
    },
    /// The chronology of the matching items' capture (the events), with contradicting claims side by side
    Timeline {
        #[command(flatten)]
        filters: SearchArgs,
        /// At most this many items
        #[arg(long)]
        limit: Option<usize>,
        /// Skip this many first
        #[arg(long, default_value_t = 0)]
        offset: usize,
    },
    /// Rebuild the search indexes from the signed claims and stored objects
    Reindex,
    /// Run the whole lifecycle on the sample collection in a scratch archive
    Demo {
        /// The sample collection's manifest
        #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/archive/sources.csv"))]
        manifest: PathBuf,
        /// Where to make the scratch archive [default: a new temporary directory]
        #[arg(long)]
        workdir: Option<PathBuf>,
    },
}

/// Which keys a bag's signatures are checked with.
#[derive(clap::Args)]
struct TrustArgs {
    /// The sender's log verifier key (NAME+ID+KEY, or a file holding it), as they gave it to you
    #[arg(long)]
    vkey: Option<String>,
    /// A public key file (custody .pub or securesystemslib JSON) of a signer you trust (repeatable)
    #[arg(long = "trust-key", value_name = "FILE.pub")]
    trust_keys: Vec<PathBuf>,
    /// Check signatures with the keys the bag itself carries (the report says so)
    #[arg(long)]
    trust_bag_keys: bool,
    /// Worker threads for hashing (0 = twice the cores, at most 16)
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

#[derive(Subcommand)]
enum KeyCommand {
    /// Create an Ed25519 key file (mode 0600, never overwritten) and FILE.pub
    New {
        /// The key owner's name
        #[arg(long)]
        name: String,
        /// Secret key file to create [default: ./custody-NAME.key]
        #[arg(long)]
        out: Option<PathBuf>,
        /// Store the secret unencrypted
        #[arg(long)]
        no_passphrase: bool,
    },
    /// Register a public key (from a .pub or secret key file) in the archive
    Add {
        /// Key file
        file: PathBuf,
        /// Owner's name [default: the name in the file]
        #[arg(long)]
        name: Option<String>,
    },
    /// List registered keys
    List,
    /// Revoke a key: what it signed before stays valid, anything signed
    /// at or after the revocation time is an audit finding
    Revoke {
        /// Key id (or its first 8+ hex digits)
        keyid: String,
        /// Why (lost, compromised, person left…)
        #[arg(long)]
        reason: String,
        /// Revoked from this time on (RFC 3339) [default: now]
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand)]
enum WitnessCommand {
    /// Cosign a checkpoint (C2SP tlog-cosignature); prints it with the cosignature added
    Cosign {
        /// The checkpoint file
        checkpoint: PathBuf,
        /// The witness's signing key file
        #[arg(long, env = "CUSTODY_KEY")]
        key: Option<PathBuf>,
        /// The witness's name (a schema-less URL, e.g. witness.example.org/custody)
        #[arg(long)]
        name: String,
        /// The log's verifier key (or a file holding it): its signature is checked first
        #[arg(long)]
        log_vkey: String,
    },
    /// Store a witness's cosignature of one of this archive's checkpoints
    Add {
        /// The cosigned checkpoint file
        cosigned: PathBuf,
        /// The witness's verifier key (or a file holding it)
        #[arg(long)]
        vkey: String,
    },
}

/// A small text file given on the command line (checkpoint, proof).
fn read_text(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    String::from_utf8(bytes).map_err(|_| {
        Error::new(ErrorKind::InvalidInput, format!("{} is not UTF-8 text", path.display()))
            .hint("give the checkpoint or proof file exactly as custody wrote it")
    })
}

/// A verifier key given inline or as a file holding it.
fn vkey_arg(v: &str) -> Result<String, Error> {
    let p = Path::new(v);
    if !v.contains('+') && p.is_file() {
        return Ok(read_text(p)?.trim().to_owned());
    }
    Ok(v.to_owned())
}

fn signing_key(key: Option<PathBuf>, what: &str) -> Result<SecretKey, Error> {
    let key_path = key.ok_or_else(|| {
        Error::new(ErrorKind::Usage, format!("{what} needs a signing key"))
            .hint("pass --key FILE or set CUSTODY_KEY (create one with `custody key new`)")
    })?;
    load_key(&key_path)
}

fn default_archive() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("custody").join("archive")
}

/// Passphrase from CUSTODY_PASSPHRASE, else a prompt on the terminal.
fn passphrase(prompt: &str, confirm: bool) -> Result<String, Error> {
    if let Ok(p) = std::env::var("CUSTODY_PASSPHRASE") {
        return Ok(p);
    }
    let no_tty = |e: std::io::Error| {
        Error::new(ErrorKind::Usage, "a passphrase is needed but there is no terminal to ask on")
            .hint("set CUSTODY_PASSPHRASE, or create keys with --no-passphrase")
            .source_err(e)
    };
    let p = rpassword::prompt_password(prompt).map_err(no_tty)?;
    if confirm && rpassword::prompt_password("repeat passphrase: ").map_err(no_tty)? != p {
        return Err(Error::new(ErrorKind::Usage, "the passphrases do not match").hint("try again"));
    }
    Ok(p)
}

fn load_key(path: &Path) -> Result<SecretKey, Error> {
    let pass = if keyfile::needs_passphrase(path)? {
        Some(passphrase(&format!("passphrase for {}: ", path.display()), false)?)
    } else {
        None
    };
    Ok(keyfile::load_secret(path, pass.as_deref())?.1)
}

/// A progress bar on stderr, only when stderr is a terminal.
struct Bar(Option<indicatif::ProgressBar>);

impl Bar {
    fn new() -> Bar {
        Bar(std::io::stderr().is_terminal().then(indicatif::ProgressBar::hidden))
    }
}

impl Progress for Bar {
    fn begin(&self, _files: u64, bytes: u64) {
        if let Some(b) = &self.0 {
            b.set_length(bytes);
            b.set_draw_target(indicatif::ProgressDrawTarget::stderr());
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
        }
    }
    fn advance(&self, bytes: u64) {
        if let Some(b) = &self.0 {
            b.inc(bytes);
        }
    }
    fn finish(&self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

/// What a command produced: text or JSON to print, and the exit code.
struct Output {
    text: String,
    json: serde_json::Value,
    code: u8,
}

fn out(text: String, json: impl serde::Serialize, code: u8) -> Output {
    Output { text, json: serde_json::to_value(json).unwrap_or_default(), code }
}

/// `custody log`, written as it is read (a million events never sit in
/// memory): with `--json` one object, `{"events": [...], "shown", "size",
/// "checkpoints", "vkey"}`. A closed stdout (`| head`) ends it quietly.
fn run_log(a: &Archive, reference: Option<&str>, json: bool) -> Result<Output, Error> {
    let mut w = std::io::BufWriter::new(std::io::stdout().lock());
    let mut failed: Option<std::io::Error> = None;
    let mut first = true;
    let mut put = |text: &str, failed: &mut Option<std::io::Error>| -> Result<(), Error> {
        w.write_all(text.as_bytes()).map_err(|e| {
            let err = Error::new(ErrorKind::Io, format!("cannot write the log to stdout: {e}"));
            *failed = Some(e);
            err
        })
    };
    let mut each = |v: history::EventView| {
        let text = if json {
            let sep = if std::mem::take(&mut first) { "{\"events\": [\n" } else { ",\n" };
            format!("{sep}{}", serde_json::to_string_pretty(&v).unwrap_or_default())
        } else {
            render::log_event(&v)
        };
        put(&text, &mut failed)
    };
    let report = history::history(a, reference, &mut each);
    let broken = |f: &Option<std::io::Error>| {
        f.as_ref().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    };
    let report = match report {
        Err(_) if broken(&failed) => return Ok(out(String::new(), serde_json::Value::Null, 0)),
        r => r?,
    };
    let tail = if json {
        let fields = serde_json::to_string_pretty(&report).unwrap_or_default();
        let head = if first { "{\"events\": [" } else { "\n" };
        format!("{head}], {}\n", fields.strip_prefix('{').unwrap_or(&fields))
    } else {
        render::log_tail(&report)
    };
    let mut failed = None;
    let res = put(&tail, &mut failed).and_then(|()| {
        w.flush()
            .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write the log to stdout: {e}")))
    });
    match res {
        Err(_) if broken(&failed) => {}
        r => r?,
    }
    Ok(out(String::new(), serde_json::Value::Null, 0))
}

fn run(cli: Cli) -> Result<Output, Error> {
    let root = cli.archive.clone().unwrap_or_else(default_archive);
    let open = || Archive::open(&root, Box::new(SystemClock));
    Ok(match cli.command {
        Command::Init { name } => {
            let a =
                Archive::init(&InitOptions { root: root.clone(), name }, Box::new(SystemClock))?;
            let id = a.identity()?;
            out(render::init(&root, &id), &id, 0)
        }
        Command::Key(k) => run_key(k, &open)?,
        Command::Ingest {
            paths,
            manifest,
            skip_bad_rows,
            key,
            c2pa_trust,
            rehash,
            threads,
            claims,
        } => {
            let claims = collector_claims(&claims.fields()?)?;
            let key = signing_key(key, "ingest")?;
            let mut a = open()?;
            let bar = Bar::new();
            let opts = IngestOptions {
                paths,
                claims,
                manifest,
                skip_bad_rows,
                key: &key,
                threads,
                c2pa_trust,
                rehash,
            };
            let r = ingest(&mut a, &opts, &bar)?;
            let code = u8::from(r.summary.skipped > 0 || !r.bad_rows.is_empty());
            out(render::ingest(&r), &r, code)
        }
        Command::Claim { reference, kind, basis, supersedes, key, claims } => {
            let fields = claims.fields()?;
            let key = signing_key(key, "claim")?;
            let mut a = open()?;
            let basis = basis.into();
            let opts =
                ClaimOptions { target: reference, kind, basis, fields, supersedes, key: &key };
            let r = claim(&mut a, &opts)?;
            out(render::claim(&r), &r, 0)
        }
        Command::List => {
            let items = inspect::list(&open()?)?;
            let code = u8::from(items.iter().any(|i| !i.verified));
            out(render::list(&items), &items, code)
        }
        Command::Show { reference, envelopes: true } => {
            let r = inspect::envelopes(&open()?, &reference)?;
            out(String::from_utf8_lossy(&r.lines).into_owned(), &r, 0)
        }
        Command::Show { reference, envelopes: false } => {
            let r = inspect::show(&open()?, &reference)?;
            let code = u8::from(
                r.items.iter().any(|i| !i.verified) || r.claims.iter().any(|c| !c.verified),
            );
            out(render::show(&r), &r, code)
        }
        Command::Cat { reference } => run_cat(&open()?, &reference, cli.json)?,
        Command::Audit { status: true, .. } => {
            let r = audit_status(&open()?)?;
            out(render::audit_status(&r), &r, u8::from(!r.is_clean()))
        }
        Command::Audit { deep, limit, budget, threads, against, vkey, status: false } => {
            let against_vkey = vkey.map(|v| vkey_arg(&v)).transpose()?;
            let mut a = open()?;
            let bar = Bar::new();
            let opts = AuditOptions { deep, threads, limit, budget, against, against_vkey };
            let r = audit(&mut a, &opts, &bar)?;
            out(render::audit(&r), &r, u8::from(!r.is_clean()))
        }
        Command::Log { reference } => run_log(&open()?, reference.as_deref(), cli.json)?,
        c @ (Command::Checkpoint { .. } | Command::Prove { .. } | Command::VerifyProof { .. }) => {
            run_proof(c, &open, cli.json)?
        }
        Command::Witness(w) => run_witness(w, &open)?,
        c @ (Command::Export { .. } | Command::Verify { .. } | Command::Import { .. }) => {
            run_bag(c, &open)?
        }
        c @ (Command::Search { .. } | Command::Timeline { .. } | Command::Reindex) => {
            run_search(c, &open, cli.json)?
        }
        Command::Demo { manifest, workdir } => run_demo(manifest, workdir)?,
    })
}

fn run_search(c: Command, open: &Open<'_>, json: bool) -> Result<Output, Error> {
    let text_only = |text: String| Output { text, json: serde_json::Value::Null, code: 0 };
    Ok(match c {
        Command::Search { filters, sort, limit, offset, csv, geojson } => {
            let opts =
                SearchOptions { filters: filters.filters(), sort, limit: Some(limit), offset };
            let r = search(&open()?, &opts)?;
            if csv {
                text_only(outputs::csv(&r.hits))
            } else if geojson {
                text_only(outputs::geojson(&r.hits))
            } else if json {
                text_only(outputs::json_lines(&r.hits))
            } else {
                out(outputs::table(&r), &r, 0)
            }
        }
        Command::Timeline { filters, limit, offset } => {
            let opts = SearchOptions { filters: filters.filters(), sort: None, limit, offset };
            let r = timeline(&open()?, &opts)?;
            out(outputs::timeline(&r), &r, 0)
        }
        Command::Reindex => {
            let r = reindex(&mut open()?)?;
            out(outputs::reindex(&r), &r, 0)
        }
        _ => return Err(Error::new(ErrorKind::Usage, "not a search command")),
    })
}

type Open<'a> = dyn Fn() -> Result<Archive, Error> + 'a;

fn run_key(k: KeyCommand, open: &Open<'_>) -> Result<Output, Error> {
    Ok(match k {
        KeyCommand::New { name, out: file, no_passphrase } => {
            let file = file.unwrap_or_else(|| {
                let slug: String = name
                    .chars()
                    .map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                    .collect();
                PathBuf::from(format!("custody-{slug}.key"))
            });
            let pass = if no_passphrase {
                None
            } else {
                Some(passphrase("passphrase for the new key: ", true)?)
            };
            let opts = KeyNewOptions { name, out: file, passphrase: pass };
            let r = key_new(&opts, time::OffsetDateTime::now_utc())?;
            out(render::key_new(&r), &r, 0)
        }
        KeyCommand::Add { file, name } => {
            let r = key_add(&mut open()?, &KeyAddOptions { file, owner: name })?;
            out(render::key_add(&r), &r, 0)
        }
        KeyCommand::List => {
            let keys = key_list(&open()?)?;
            out(render::key_list(&keys), &keys, 0)
        }
        KeyCommand::Revoke { keyid, reason, at } => {
            let r = key_revoke(&mut open()?, &KeyRevokeOptions { keyid, reason, at })?;
            out(render::key_revoke(&r), &r, 0)
        }
    })
}

fn run_cat(a: &Archive, reference: &str, json: bool) -> Result<Output, Error> {
    let stdout = std::io::stdout();
    let mut lock = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    let r = inspect::cat(a, reference, &mut lock)?;
    // The bytes went to stdout; only a JSON summary may follow, on stderr.
    if json {
        eprintln!("{}", serde_json::to_string(&r).unwrap_or_default());
    }
    Ok(Output { text: String::new(), json: serde_json::Value::Null, code: 0 })
}

fn run_proof(c: Command, open: &Open<'_>, json: bool) -> Result<Output, Error> {
    Ok(match c {
        Command::Checkpoint { key } => {
            let key = key.map(|k| load_key(&k)).transpose()?;
            let r = proof::checkpoint(&mut open()?, key.as_ref())?;
            if !json {
                eprintln!("log verifier key: {}", render::clean(&r.vkey));
            }
            out(r.note.clone(), &r, 0)
        }
        Command::Prove { reference, event, checkpoint, consistency } => {
            let target = match (reference, event, consistency) {
                (_, _, Some(files)) => {
                    let old = read_text(&files[0])?;
                    let new = files.get(1).map(|f| read_text(f)).transpose()?;
                    proof::ProveTarget::Consistency(old, new)
                }
                (_, Some(n), None) => proof::ProveTarget::Event(n),
                (Some(r), None, None) => proof::ProveTarget::Item(r),
                (None, None, None) => {
                    return Err(Error::new(
                        ErrorKind::Usage,
                        "name an item, --event N or --consistency OLD [NEW]",
                    ));
                }
            };
            let cp = checkpoint.map(|p| read_text(&p)).transpose()?;
            let r = proof::prove(&mut open()?, target, cp.as_deref())?;
            out(r.proof.clone(), &r, 0)
        }
        Command::VerifyProof { proof: file, vkey } => {
            let r = proof::verify_proof(&read_text(&file)?, &vkey_arg(&vkey)?)?;
            out(render::verify_proof(&r), &r, u8::from(!r.valid))
        }
        _ => return Err(Error::new(ErrorKind::Usage, "not a proof command")),
    })
}

fn run_bag(c: Command, open: &Open<'_>) -> Result<Output, Error> {
    let verify_opts = |bag: PathBuf, t: TrustArgs| -> Result<VerifyOptions, Error> {
        Ok(VerifyOptions {
            bag,
            vkey: t.vkey.map(|v| vkey_arg(&v)).transpose()?,
            trust_keys: t.trust_keys,
            trust_bag_keys: t.trust_bag_keys,
            threads: t.threads,
        })
    };
    Ok(match c {
        Command::Export {
            references,
            out: dest,
            all,
            list,
            format,
            withhold,
            key,
            threads,
            filters,
        } => {
            let key = signing_key(key, "export")?;
            let format = format
                .parse()
                .map_err(|_| Error::new(ErrorKind::Usage, "--format is dir, zip or tar"))?;
            let opts = ExportOptions {
                out: dest,
                refs: references,
                all,
                list,
                filters: filters.given().then(|| filters.filters()),
                format,
                key: &key,
                withhold,
                threads,
            };
            let r = export(&mut open()?, &opts, &Bar::new())?;
            out(render::export(&r), &r, 0)
        }
        Command::Verify { bag, trust } => {
            let r = verify(&verify_opts(bag, trust)?)?;
            out(render::verify(&r), &r, u8::from(!r.holds()))
        }
        Command::Import { bag, trust, key } => {
            let key = signing_key(key, "import")?;
            let v = verify_opts(bag, trust)?;
            let opts = ImportOptions {
                bag: v.bag,
                key: &key,
                vkey: v.vkey,
                trust_keys: v.trust_keys,
                trust_bag_keys: v.trust_bag_keys,
                threads: v.threads,
            };
            let r = import(&mut open()?, &opts)?;
            out(render::import(&r), &r, u8::from(!r.verification.holds()))
        }
        _ => return Err(Error::new(ErrorKind::Usage, "not a bag command")),
    })
}

fn run_witness(w: WitnessCommand, open: &Open<'_>) -> Result<Output, Error> {
    Ok(match w {
        WitnessCommand::Cosign { checkpoint, key, name, log_vkey } => {
            let key = signing_key(key, "witness cosign")?;
            let r = witness::witness_cosign(
                &read_text(&checkpoint)?,
                &key,
                &name,
                &vkey_arg(&log_vkey)?,
                time::OffsetDateTime::now_utc(),
            )?;
            eprintln!("witness verifier key: {}", render::clean(&r.witness_vkey));
            out(r.cosigned.clone(), &r, 0)
        }
        WitnessCommand::Add { cosigned, vkey } => {
            let r = witness::witness_add(&mut open()?, &read_text(&cosigned)?, &vkey_arg(&vkey)?)?;
            out(render::witness_add(&r), &r, 0)
        }
    })
}

fn run_demo(manifest: PathBuf, workdir: Option<PathBuf>) -> Result<Output, Error> {
    let dir = match workdir {
        Some(d) => d,
        // Kept after the demo so the scratch archive can be looked at.
        None => tempfile::Builder::new()
            .prefix("custody-demo-")
            .tempdir()
            .map_err(|e| {
                Error::new(ErrorKind::Io, "cannot create a scratch directory").source_err(e)
            })?
            .keep(),
    };
    let r = demo(&DemoOptions { manifest, workdir: dir }, &NoProgress)?;
    Ok(out(render::demo(&r), &r, u8::from(!r.passed)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match run(cli) {
        Ok(o) => {
            let mut stdout = std::io::stdout().lock();
            let res = if json && !o.json.is_null() {
                writeln!(stdout, "{}", serde_json::to_string_pretty(&o.json).unwrap_or_default())
            } else if !o.text.is_empty() {
                write!(stdout, "{}", o.text)
            } else {
                Ok(())
            };
            match res {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => ExitCode::from(2),
                _ => ExitCode::from(o.code),
            }
        }
        Err(e) => {
            if json {
                let j = serde_json::json!({"error": e.to_string(), "hint": e.hint_text()});
                println!("{j}");
            }
            // Messages may span lines on purpose (a manifest's problems);
            // every line is escaped as the reports are.
            let message = e.to_string();
            for (n, line) in message.lines().enumerate() {
                eprintln!("{}{}", if n == 0 { "error: " } else { "" }, render::clean(line));
            }
            if let Some(h) = e.hint_text() {
                eprintln!("hint: {}", render::clean(h));
            }
            ExitCode::from(e.kind().exit_code())
        }
    }
}

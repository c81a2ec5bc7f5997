//! Flags the binary derives from the library's own lists instead of
//! repeating them: the claim fields (`claim::fields::FIELDS`, whose names
//! are also the manifest's columns), and the claim enums' names (their
//! kebab-case signed names, listed by clap in `--help` and in the error
//! for a wrong value).
//!
//! Must not: parse or check claim values (the library does, and names the
//! field of every error).

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use custody::claim::Basis;
use custody::claim::fields::{FIELDS, Fields, one_of};
use custody::{Error, ErrorKind};

/// A value parser that lists `T`'s kebab-case names and parses them.
pub fn names<T>() -> impl TypedValueParser<Value = T>
where
    T: std::str::FromStr + strum::VariantNames + Clone + Send + Sync + 'static,
{
    PossibleValuesParser::new(T::VARIANTS).try_map(|s| {
        s.parse::<T>().map_err(|_| format!("{s:?} is not one of {}", T::VARIANTS.join(", ")))
    })
}

/// The bases `custody claim` accepts: not `embedded`, which is reserved for
/// values read from the file at ingest.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum ClaimBasis {
    /// An investigator's own analysis.
    Analyst,
    /// Stated by the source or the collector.
    Claimed,
    /// Recorded by the capturing device or app.
    Device,
}

impl From<ClaimBasis> for Basis {
    fn from(b: ClaimBasis) -> Basis {
        match b {
            ClaimBasis::Analyst => Basis::Analyst,
            ClaimBasis::Claimed => Basis::Claimed,
            ClaimBasis::Device => Basis::Device,
        }
    }
}

/// The claim fields given as flags, one per entry of `FIELDS`.
#[derive(Debug, Default)]
pub struct ClaimArgs(Vec<(&'static str, String)>);

impl ClaimArgs {
    /// The fields, for the library to parse.
    pub fn fields(&self) -> Result<Fields, Error> {
        let mut f = Fields::default();
        for (name, v) in &self.0 {
            f.set(name, v).map_err(|e| Error::new(ErrorKind::Usage, e.message))?;
        }
        Ok(f)
    }
}

impl FromArgMatches for ClaimArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut out = ClaimArgs::default();
        out.update_from_arg_matches(m)?;
        Ok(out)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        for f in FIELDS {
            if let Some(v) = m.get_one::<String>(f.name) {
                self.0.retain(|(n, _)| *n != f.name);
                self.0.push((f.name, v.clone()));
            }
        }
        Ok(())
    }
}

impl Args for ClaimArgs {
    fn augment_args(cmd: Command) -> Command {
        let mut cmd = cmd.next_help_heading("Claim fields");
        for f in FIELDS {
            let kind = match f.kind {
                Some(k) => format!(" ({})", k.name()),
                None => String::new(),
            };
            let help = match f.choices() {
                Some(c) => format!("{}: {}{kind}", f.help, one_of(c)),
                None => format!("{}{kind}", f.help),
            };
            let mut arg = Arg::new(f.name)
                .long(f.name.replace('_', "-"))
                .value_name(f.name.to_uppercase())
                .help(help)
                .allow_hyphen_values(f.signed_number);
            for alias in f.aliases {
                arg = arg.visible_alias(*alias);
            }
            cmd = cmd.arg(arg);
        }
        cmd
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

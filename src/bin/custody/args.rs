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

/// `--basis` for searches: a basis, or `any` (every current claim counts).
pub fn basis_or_any() -> impl TypedValueParser<Value = BasisChoice> {
    let mut values: Vec<&'static str> = <Basis as strum::VariantNames>::VARIANTS.to_vec();
    values.push("any");
    PossibleValuesParser::new(values).try_map(|s| {
        if s == "any" {
            return Ok(BasisChoice(None));
        }
        s.parse::<Basis>()
            .map(|b| BasisChoice(Some(b)))
            .map_err(|_| format!("{s:?} is not a basis"))
    })
}

/// A basis or any.
#[derive(Clone, Copy, Debug)]
pub struct BasisChoice(pub Option<Basis>);

/// The filters `search`, `timeline` and `export` share.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct SearchArgs {
    /// Captured from: RFC 3339, or a date (from the start of that day in --tz)
    #[arg(long)]
    pub from: Option<String>,
    /// Captured to: RFC 3339, or a date (to the end of that day in --tz)
    #[arg(long)]
    pub to: Option<String>,
    /// The UTC offset dates are days in (+03:00 for Aleppo) [default: UTC]
    #[arg(long)]
    pub tz: Option<String>,
    /// Which claims count for time and place [default: any current claim]
    #[arg(long, value_parser = basis_or_any())]
    pub basis: Option<BasisChoice>,
    /// Within --radius of LAT,LON (degrees, WGS 84)
    #[arg(long, value_name = "LAT,LON", allow_hyphen_values = true)]
    pub near: Option<String>,
    /// Radius for --near, in km
    #[arg(long, value_name = "KM")]
    pub radius: Option<f64>,
    /// Inside the box W,S,E,N (RFC 7946 order; W > E crosses the antimeridian)
    #[arg(long, value_name = "W,S,E,N", allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Source URL, platform or account (a glob: https://t.me/chan/*)
    #[arg(long)]
    pub source: Option<String>,
    /// Kind of media
    #[arg(long = "type", value_parser = names::<custody::commands::search::MediaClass>())]
    pub media_class: Option<custody::commands::search::MediaClass>,
    /// Exact media type (video/mp4)
    #[arg(long)]
    pub media_type: Option<String>,
    /// A description tag
    #[arg(long)]
    pub tag: Option<String>,
    /// Collector: key id (8+ hex digits) or registered name
    #[arg(long)]
    pub collector: Option<String>,
    /// A current verification verdict
    #[arg(long, value_parser = names::<custody::claim::Verdict>())]
    pub verdict: Option<custody::claim::Verdict>,
    /// Only items whose claims disagree (a discrepancy)
    #[arg(long)]
    pub flagged: bool,
    /// Ingested from (as --from)
    #[arg(long)]
    pub ingested_from: Option<String>,
    /// Ingested to (as --to)
    #[arg(long)]
    pub ingested_to: Option<String>,
    /// Full text: words, "phrases", prefix*, AND, OR, NOT (Arabic and Latin folded, place names in every script)
    #[arg(long)]
    pub text: Option<String>,
}

impl SearchArgs {
    /// Whether any filter was given.
    pub fn given(&self) -> bool {
        let f = self.clone().filters();
        f.from.is_some()
            || f.to.is_some()
            || f.basis.is_some()
            || f.near.is_some()
            || f.radius_km.is_some()
            || f.bbox.is_some()
            || f.source.is_some()
            || f.media_class.is_some()
            || f.media_type.is_some()
            || f.tag.is_some()
            || f.collector.is_some()
            || f.verdict.is_some()
            || f.flagged
            || f.ingested_from.is_some()
            || f.ingested_to.is_some()
            || f.text.is_some()
    }

    /// The library's filters.
    pub fn filters(self) -> custody::commands::search::Filters {
        custody::commands::search::Filters {
            from: self.from,
            to: self.to,
            tz: self.tz,
            basis: self.basis.and_then(|b| b.0),
            near: self.near,
            radius_km: self.radius,
            bbox: self.bbox,
            source: self.source,
            media_class: self.media_class,
            media_type: self.media_type,
            tag: self.tag,
            collector: self.collector,
            verdict: self.verdict,
            flagged: self.flagged,
            ingested_from: self.ingested_from,
            ingested_to: self.ingested_to,
            text: self.text,
        }
    }
}

/// A time budget such as `90s`, `45m`, `2h`, `1d` or `1h30m`.
pub fn duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{text:?} is not a duration: write e.g. 90s, 45m, 2h, 1d or 1h30m");
    let mut secs = 0u64;
    let mut digits = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        secs = n.checked_mul(unit).and_then(|v| secs.checked_add(v)).ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() || secs == 0 {
        return Err(bad());
    }
    Ok(std::time::Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    #[test]
    fn durations_parse_or_name_the_mistake() {
        assert_eq!(super::duration("90s"), Ok(std::time::Duration::from_secs(90)));
        assert_eq!(super::duration("1h30m"), Ok(std::time::Duration::from_secs(5400)));
        assert_eq!(super::duration("1d"), Ok(std::time::Duration::from_secs(86_400)));
        for bad in ["", "10", "0s", "h", "5x", "-1h", "99999999999999999999d"] {
            assert!(super::duration(bad).unwrap_err().contains("not a duration"), "{bad}");
        }
    }
}

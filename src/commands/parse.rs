//! Words to [`Args`], by the command's fields: keywords in any order,
//! positional values in theirs, defaults filled in.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{Args, Command, Field, Kind, Value};

/// Looks an interface up by name.
pub type Resolve<'a> = &'a dyn Fn(&str) -> Option<u32>;

/// Parses all of `words`; anything left over is an error.
pub fn line(command: &'static Command, words: &[&str], resolve: Resolve) -> Result<Args, String> {
    let (args, used) = parse(command, words, resolve, false)?;
    match words.get(used) {
        None => finish(args),
        Some(w) => Err(unknown(command, w, None)),
    }
}

/// Parses as many of `words` as belong to the command (startup.conf items
/// follow each other on one line); returns the count used. A rest-of-line
/// field is not filled: in startup.conf it comes in braces.
pub fn prefix(command: &'static Command, words: &[&str]) -> usize {
    parse(command, words, &|_| Some(0), true).map_or(0, |(_, used)| used)
}

fn parse(
    command: &'static Command,
    words: &[&str],
    resolve: Resolve,
    greedy: bool,
) -> Result<(Args, usize), String> {
    let mut values: Vec<Option<Value>> = vec![None; command.fields.len()];
    let mut i = 0;
    while i < words.len() {
        let word = words[i];
        let keyword = command
            .fields
            .iter()
            .position(|f| !f.positional && f.name == word && values_unset(&values, f, command));
        let (index, value_at) = match keyword {
            Some(k) => (k, i + 1),
            None => {
                let next = command.fields.iter().enumerate().position(|(n, f)| {
                    f.positional && values[n].is_none() && !(greedy && is_rest(f))
                });
                match next {
                    Some(p) => (p, i),
                    None if greedy => break,
                    None => return Err(unknown(command, word, None)),
                }
            }
        };
        let field = &command.fields[index];
        match value(command, field, &words[value_at..], resolve) {
            Ok((v, used)) => {
                values[index] = Some(v);
                i = value_at + used;
            }
            Err(_) if greedy && field.positional => break,
            Err(e) => return Err(e),
        }
    }
    Ok((Args { command, values }, i))
}

fn values_unset(values: &[Option<Value>], field: &Field, command: &Command) -> bool {
    command
        .field(field.name)
        .is_some_and(|i| values[i].is_none())
}

fn is_rest(f: &Field) -> bool {
    matches!(f.kind, Kind::Rest { .. })
}

/// Fills in defaults and checks that what is required was given.
pub fn finish(mut args: Args) -> Result<Args, String> {
    let command = args.command;
    for (n, f) in command.fields.iter().enumerate() {
        if args.values[n].is_some() {
            continue;
        }
        if let Some(text) = f.default {
            let words: Vec<&str> = text.split_whitespace().collect();
            args.values[n] = Some(value(command, f, &words, &|_| None)?.0);
        } else if f.required {
            return Err(format!("{} expected; usage: {}", f.help, command.usage()));
        }
    }
    if command.needs_some && args.values.iter().all(Option::is_none) {
        return Err(format!("usage: {}", command.usage()));
    }
    Ok(args)
}

fn unknown(command: &Command, word: &str, why: Option<String>) -> String {
    match why {
        Some(why) => format!("unknown input `{word}': {why}; usage: {}", command.usage()),
        None => format!("unknown input `{word}'; usage: {}", command.usage()),
    }
}

/// One value from the start of `words`; returns it and the words used.
fn value(
    command: &Command,
    field: &Field,
    words: &[&str],
    resolve: Resolve,
) -> Result<(Value, usize), String> {
    let what = if field.positional {
        field.help.to_string()
    } else {
        format!("{} takes {}", field.name, field.help)
    };
    let Some(&first) = words.first() else {
        if field.kind == Kind::Flag {
            return Ok((Value::Flag, 0));
        }
        return Err(format!("{what} expected; usage: {}", command.usage()));
    };
    let bad = |why: &str| unknown(command, first, Some(why.to_string()));
    let one = |v: Option<Value>| v.map(|v| (v, 1)).ok_or_else(|| bad(&what));
    match field.kind {
        Kind::Flag => Ok((Value::Flag, 0)),
        Kind::Interface => one(resolve(first).map(Value::Interface)),
        Kind::Ip6 => one(first.parse().ok().map(Value::Ip6)),
        Kind::Prefix6 => one(prefix6(first).map(|(a, l)| Value::Prefix6(a, l))).map_err(|_| {
            format!(
                "{} expected, e.g. 2001:db8:1::/64, not `{first}'; usage: {}",
                field.help,
                command.usage()
            )
        }),
        Kind::Ip6Range => range(words).ok_or_else(|| bad(&what)),
        Kind::Ip4 => one(first.parse().ok().map(Value::Ip4)),
        Kind::Prefix4 => one(prefix4(first).map(|(a, l)| Value::Prefix4(a, l))).map_err(|_| {
            format!(
                "{} expected, e.g. 192.0.2.0/24, not `{first}'; usage: {}",
                field.help,
                command.usage()
            )
        }),
        Kind::Ip4Range => range4(words).ok_or_else(|| bad(&what)),
        Kind::Bool => one(match first {
            "yes" | "on" => Some(Value::Bool(true)),
            "no" | "off" => Some(Value::Bool(false)),
            _ => None,
        }),
        Kind::Number { max, off } => {
            if off && first == "off" {
                return Ok((Value::Number(0), 1));
            }
            if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad(&what));
            }
            match first.parse::<u64>() {
                Ok(n) if n <= u64::from(max) => Ok((Value::Number(n as u32), 1)),
                _ => Err(format!(
                    "{} {first} is too large (at most {max}); usage: {}",
                    field.name,
                    command.usage()
                )),
            }
        }
        Kind::Word { max } => {
            if first.len() > max {
                return Err(format!("{} longer than {max} bytes", field.name));
            }
            Ok((Value::Text(first.to_string()), 1))
        }
        Kind::Rest { max } => {
            let text = words.join(" ");
            if text.len() > max {
                return Err(format!("{} longer than {max} bytes", field.name));
            }
            Ok((Value::Text(text), words.len()))
        }
    }
}

/// `2001:db8::/64`
pub fn prefix6(text: &str) -> Option<(Ipv6Addr, u8)> {
    let (addr, len) = text.split_once('/')?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 128)?;
    Some((addr.parse().ok()?, len))
}

/// `192.0.2.0/24`
pub fn prefix4(text: &str) -> Option<(Ipv4Addr, u8)> {
    let (addr, len) = text.split_once('/')?;
    let len: u8 = len.parse().ok().filter(|l| *l <= 32)?;
    Some((addr.parse().ok()?, len))
}

/// `a - b` (three words) or `a-b` (one): the two ends and the words used.
fn range_words<'a>(words: &[&'a str]) -> Option<(&'a str, &'a str, usize)> {
    match words {
        [one, ..] if one.contains('-') && one.len() > 1 => {
            let (a, b) = one.split_once('-')?;
            Some((a, b, 1))
        }
        [a, "-", b, ..] => Some((*a, *b, 3)),
        _ => None,
    }
}

fn range(words: &[&str]) -> Option<(Value, usize)> {
    let (a, b, used) = range_words(words)?;
    Some((Value::Range(a.parse().ok()?, b.parse().ok()?), used))
}

fn range4(words: &[&str]) -> Option<(Value, usize)> {
    let (a, b, used) = range_words(words)?;
    Some((Value::Range4(a.parse().ok()?, b.parse().ok()?), used))
}

//! The `dhcp6-server { ... }` section of startup.conf. Each item is a
//! command of the table written without its path: the command's startup
//! keyword, the words that belong to it, and optionally a `{ ... }` block
//! with more of them, e.g.
//!
//! ```text
//! dhcp6-server {
//!   duid 00:02:00:00:ab:11:01:02
//!   link 2001:db8:1::/64 { preferred-lifetime 1800 valid-lifetime 3600 }
//!   pool 2001:db8:1::/64 { addresses 2001:db8:1::100 - 2001:db8:1::1ff }
//!   option dns-servers { 2001:db8::53 }
//!   option code 27 ipv6-address { 2001:db8::27 }
//!   interface host-eth0 { accept-unicast no }
//! }
//! ```
//!
//! An item naming an interface that does not exist yet (they are created
//! later, by the startup exec file, the CLI or the API) waits until it does.

use super::{parse, Command, Controller, COMMANDS};

/// One item: its command and its words (block included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub command: &'static Command,
    pub words: Vec<String>,
}

impl Item {
    pub fn describe(&self) -> String {
        format!(
            "{} {{ {} {} }}",
            self.command.section(),
            self.command.startup.keyword().unwrap_or(""),
            self.words.join(" ")
        )
    }
}

#[derive(Debug, PartialEq)]
enum Token {
    Word(String),
    Block(Vec<String>),
}

fn tokens(section: &str, text: &str) -> Result<Vec<Token>, String> {
    let spaced = text.replace('{', " { ").replace('}', " } ");
    let mut out = Vec::new();
    let mut block: Option<Vec<String>> = None;
    let mut depth = 0usize;
    for w in spaced.split_whitespace() {
        match w {
            "{" => {
                depth += 1;
                block.get_or_insert_with(Vec::new);
            }
            "}" if depth == 0 => return Err(format!("{section} {{ ... }}: unbalanced `}}'")),
            "}" => {
                depth -= 1;
                if depth == 0 {
                    out.push(Token::Block(block.take().unwrap_or_default()));
                }
            }
            w => match block.as_mut() {
                Some(b) => b.push(w.to_string()),
                None => out.push(Token::Word(w.to_string())),
            },
        }
    }
    if depth > 0 {
        return Err(format!("{section} {{ ... }}: unbalanced `{{'"));
    }
    Ok(out)
}

/// Splits a section (`dhcp6-server` or `dhcp4-server`) into items; an
/// unknown keyword is an error.
pub fn items(section: &str, text: &str) -> Result<Vec<Item>, String> {
    let tokens = tokens(section, text)?;
    let mut items = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Token::Word(keyword) = &tokens[i] else {
            return Err(format!(
                "{section} {{ ... }}: a `{{ ... }}' block without an item"
            ));
        };
        // The longest keyword that matches (`option code` before `option`).
        let matches = |k: &str| {
            k.split(' ')
                .enumerate()
                .all(|(n, w)| matches!(tokens.get(i + n), Some(Token::Word(t)) if t == w))
        };
        let Some((command, keyword_words)) = COMMANDS
            .iter()
            .filter(|c| c.section() == section)
            .filter_map(|c| Some((c, c.startup.keyword().filter(|k| matches(k))?)))
            .map(|(c, k)| (c, k.split(' ').count()))
            .max_by_key(|(_, n)| *n)
        else {
            return Err(format!("{section} {{ ... }}: unknown input `{keyword}'"));
        };
        i += keyword_words;
        let inline: Vec<&str> = tokens[i..]
            .iter()
            .map_while(|t| match t {
                Token::Word(w) => Some(w.as_str()),
                Token::Block(_) => None,
            })
            .collect();
        let used = parse::prefix(command, &inline);
        let mut words: Vec<String> = inline[..used].iter().map(|w| w.to_string()).collect();
        i += used;
        if let Some(Token::Block(block)) = tokens.get(i) {
            words.extend(block.iter().cloned());
            i += 1;
        }
        items.push(Item { command, words });
    }
    Ok(items)
}

/// Whether the item waits for an interface that does not exist yet.
pub fn waits(item: &Item, ctl: &dyn Controller) -> bool {
    let words: Vec<&str> = item.words.iter().map(String::as_str).collect();
    parse::line(item.command, &words, &|_| Some(0)).is_ok()
        && parse::line(item.command, &words, &|n| ctl.interface_by_name(n)).is_err()
}

/// Runs an item (one that does not wait).
pub fn run(item: &Item, ctl: &mut dyn Controller) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    super::run_line(item.command, &item.words.join(" "), ctl, &mut out)
        .map_err(|e| format!("{}: {e}", item.describe()))?;
    Ok(out)
}

/// Runs the section's items in order; returns those that wait for their
/// interface. Stops at the first error.
pub fn apply(section: &str, text: &str, ctl: &mut dyn Controller) -> Result<Vec<Item>, String> {
    let mut waiting = Vec::new();
    for item in items(section, text)? {
        if waits(&item, ctl) {
            waiting.push(item);
        } else {
            run(&item, ctl)?;
        }
    }
    Ok(waiting)
}

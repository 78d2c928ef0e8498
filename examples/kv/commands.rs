//! The commands the server knows, each run against the store and appending its reply:
//! `PING`, `ECHO`, `GET`, `SET key value`, `DEL key...`, `EXISTS key...`, `INCR`, `QUIT`, and,
//! answered minimally for the clients that ask at startup, `COMMAND` (an empty list) and
//! `CONFIG GET` (redis-benchmark reads `save` and `appendonly`). Replies and error messages
//! are Redis's; names are case-insensitive.

use std::ops::RangeInclusive;

use crate::resp::{
    self, write_array, write_bulk, write_error, write_integer, write_null, write_simple,
};
use crate::store::Store;

/// Whether the connection goes on after a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Close,
}

/// Runs the command `args` (its name first; not empty) and appends its reply to `out`.
pub fn execute(store: &Store, args: &[&[u8]], out: &mut Vec<u8>) -> Flow {
    let (name, args) = args.split_first().expect("a command has a name");
    if name.eq_ignore_ascii_case(b"quit") {
        write_simple(out, "OK");
        return Flow::Close;
    }
    match COMMANDS
        .iter()
        .find(|c| name.eq_ignore_ascii_case(c.name.as_bytes()))
    {
        Some(command) if command.args.contains(&args.len()) => (command.run)(store, args, out),
        Some(command) => write_error(
            out,
            &format!(
                "ERR wrong number of arguments for '{}' command",
                command.name
            ),
        ),
        None => {
            // Quoted back, but not at any length.
            let name = String::from_utf8_lossy(&name[..name.len().min(64)]);
            write_error(out, &format!("ERR unknown command '{name}'"));
        }
    }
    Flow::Continue
}

struct Command {
    name: &'static str,
    /// How many arguments it takes, after its name.
    args: RangeInclusive<usize>,
    run: fn(&Store, &[&[u8]], &mut Vec<u8>),
}

const COMMANDS: &[Command] = &[
    Command {
        name: "get",
        args: 1..=1,
        run: get,
    },
    Command {
        name: "set",
        args: 2..=usize::MAX,
        run: set,
    },
    Command {
        name: "ping",
        args: 0..=1,
        run: ping,
    },
    Command {
        name: "echo",
        args: 1..=1,
        run: echo,
    },
    Command {
        name: "del",
        args: 1..=usize::MAX,
        run: del,
    },
    Command {
        name: "exists",
        args: 1..=usize::MAX,
        run: exists,
    },
    Command {
        name: "incr",
        args: 1..=1,
        run: incr,
    },
    Command {
        name: "command",
        args: 0..=usize::MAX,
        run: command,
    },
    Command {
        name: "config",
        args: 1..=usize::MAX,
        run: config,
    },
];

fn get(store: &Store, args: &[&[u8]], out: &mut Vec<u8>) {
    match store.shard(args[0]).get(args[0]) {
        Some(value) => write_bulk(out, value),
        None => write_null(out),
    }
}

fn set(store: &Store, args: &[&[u8]], out: &mut Vec<u8>) {
    if let [key, value] = args {
        store.shard(key).put(key, value);
        write_simple(out, "OK");
    } else {
        // Options such as `EX` are not supported.
        write_error(out, "ERR syntax error");
    }
}

fn ping(_: &Store, args: &[&[u8]], out: &mut Vec<u8>) {
    match args {
        [message] => write_bulk(out, message),
        _ => write_simple(out, "PONG"),
    }
}

fn echo(_: &Store, args: &[&[u8]], out: &mut Vec<u8>) {
    write_bulk(out, args[0]);
}

fn del(store: &Store, keys: &[&[u8]], out: &mut Vec<u8>) {
    let removed = keys.iter().filter(|k| store.shard(k).remove(k)).count();
    write_integer(out, removed as i64);
}

/// Counts a key named twice twice, as Redis does.
fn exists(store: &Store, keys: &[&[u8]], out: &mut Vec<u8>) {
    let found = keys.iter().filter(|k| store.shard(k).contains(k)).count();
    write_integer(out, found as i64);
}

fn incr(store: &Store, args: &[&[u8]], out: &mut Vec<u8>) {
    let key = args[0];
    let mut shard = store.shard(key);
    let Some(current) = shard.get(key).map_or(Some(0), resp::integer) else {
        return write_error(out, "ERR value is not an integer or out of range");
    };
    let Some(next) = current.checked_add(1) else {
        return write_error(out, "ERR increment or decrement would overflow");
    };
    shard.put(key, next.to_string().as_bytes());
    write_integer(out, next);
}

/// Command introspection (`redis-cli` asks for it): none offered.
fn command(_: &Store, _: &[&[u8]], out: &mut Vec<u8>) {
    write_array(out, 0);
}

/// The configuration `redis-benchmark` reads at startup; nothing is configurable.
const CONFIG: &[(&str, &str)] = &[("save", ""), ("appendonly", "no")];

/// `CONFIG GET parameter...`: the parameters known, as name and value pairs.
fn config(_: &Store, args: &[&[u8]], out: &mut Vec<u8>) {
    let (subcommand, parameters) = args.split_first().expect("arity checked");
    if !subcommand.eq_ignore_ascii_case(b"get") || parameters.is_empty() {
        return write_error(out, "ERR only CONFIG GET <parameter> is supported");
    }
    let known: Vec<_> = CONFIG
        .iter()
        .filter(|(name, _)| {
            parameters
                .iter()
                .any(|p| p.eq_ignore_ascii_case(name.as_bytes()))
        })
        .collect();
    write_array(out, 2 * known.len());
    for (name, value) in known {
        write_bulk(out, name.as_bytes());
        write_bulk(out, value.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the commands, one a line, words separated by spaces; their replies.
    fn run(store: &Store, commands: &str) -> String {
        let mut out = Vec::new();
        for line in commands.lines() {
            let args: Vec<&[u8]> = line.split(' ').map(str::as_bytes).collect();
            assert_eq!(execute(store, &args, &mut out), Flow::Continue, "{line}");
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn ping_and_echo() {
        let store = Store::new();
        assert_eq!(
            run(&store, "PING\nping hello\nECHO hi"),
            "+PONG\r\n$5\r\nhello\r\n$2\r\nhi\r\n"
        );
    }

    #[test]
    fn set_get_and_overwrite() {
        let store = Store::new();
        assert_eq!(
            run(&store, "GET k\nSET k v1\nGET k\nset k longer\nget k\nGET K"),
            "$-1\r\n+OK\r\n$2\r\nv1\r\n+OK\r\n$6\r\nlonger\r\n$-1\r\n"
        );
        assert_eq!(run(&store, "SET k v EX 10"), "-ERR syntax error\r\n");
    }

    #[test]
    fn del_and_exists_count_keys() {
        let store = Store::new();
        run(&store, "SET a 1\nSET b 2");
        assert_eq!(
            run(&store, "EXISTS a b c a\nDEL a c\nEXISTS a b\nDEL a"),
            ":3\r\n:1\r\n:1\r\n:0\r\n"
        );
    }

    #[test]
    fn incr_counts_from_zero_and_checks_the_value() {
        let store = Store::new();
        assert_eq!(
            run(&store, "INCR n\nINCR n\nGET n"),
            ":1\r\n:2\r\n$1\r\n2\r\n"
        );
        assert_eq!(
            run(&store, "SET s abc\nINCR s"),
            "+OK\r\n-ERR value is not an integer or out of range\r\n"
        );
        assert_eq!(
            run(
                &store,
                "SET m 9223372036854775807\nINCR m\nSET z -1\nINCR z"
            ),
            "+OK\r\n-ERR increment or decrement would overflow\r\n+OK\r\n:0\r\n"
        );
    }

    #[test]
    fn wrong_arity_and_unknown_commands_are_errors() {
        let store = Store::new();
        assert_eq!(
            run(&store, "GET\nGET a b\nFLUSHALL\nPING a b"),
            "-ERR wrong number of arguments for 'get' command\r\n\
             -ERR wrong number of arguments for 'get' command\r\n\
             -ERR unknown command 'FLUSHALL'\r\n\
             -ERR wrong number of arguments for 'ping' command\r\n"
        );
    }

    #[test]
    fn answers_what_clients_ask_at_startup() {
        let store = Store::new();
        assert_eq!(
            run(
                &store,
                "COMMAND DOCS\nCONFIG GET save\nCONFIG GET appendonly maxmemory"
            ),
            "*0\r\n*2\r\n$4\r\nsave\r\n$0\r\n\r\n*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"
        );
        assert_eq!(
            run(&store, "CONFIG SET save x"),
            "-ERR only CONFIG GET <parameter> is supported\r\n"
        );
    }

    #[test]
    fn quit_says_ok_and_closes() {
        let mut out = Vec::new();
        assert_eq!(execute(&Store::new(), &[b"quit"], &mut out), Flow::Close);
        assert_eq!(out, b"+OK\r\n");
    }
}

//! Shows a contact's conflicts, resolves them, and shows the contact again.
//!
//! ```text
//! cargo run --example resolve_conflicts -- [CONTACT_ID] [--name N] [--manager USER_ID]
//!     [--clear-manager] [--field KEY=VALUE]... [--wipe]
//! ```
//!
//! With `ROCKETCHAT_URL` unset it starts the embedded fake server with demo data and works on
//! its conflicted contact (with no decision flags it keeps the current values: `--wipe`).
//! With `ROCKETCHAT_URL` set it connects there, with `ROCKETCHAT_USER` +
//! `ROCKETCHAT_PASSWORD` (+ `ROCKETCHAT_2FA_CODE`) or `ROCKETCHAT_USER_ID` +
//! `ROCKETCHAT_AUTH_TOKEN`.

use std::process::ExitCode;

use rocketchat_omnichannel::models::Contact;
use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
use rocketchat_omnichannel::{Client, ClientBuilder};

#[derive(Debug, Default)]
struct Args {
    contact_id: Option<String>,
    name: Option<String>,
    manager: Option<String>,
    clear_manager: bool,
    fields: Vec<(String, String)>,
    wipe: bool,
}

impl Args {
    fn has_decision(&self) -> bool {
        self.name.is_some()
            || self.manager.is_some()
            || self.clear_manager
            || !self.fields.is_empty()
            || self.wipe
    }
}

const USAGE: &str = "usage: resolve_conflicts [CONTACT_ID] [--name N] [--manager USER_ID] \
                     [--clear-manager] [--field KEY=VALUE]... [--wipe]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args::default();
    let mut input = std::env::args().skip(1);
    while let Some(arg) = input.next() {
        let mut value = |flag: &str| input.next().ok_or_else(|| format!("{flag} needs a value"));
        match arg.as_str() {
            "--name" => args.name = Some(value("--name")?),
            "--manager" => args.manager = Some(value("--manager")?),
            "--clear-manager" => args.clear_manager = true,
            "--field" => {
                let pair = value("--field")?;
                let (key, val) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("--field expects KEY=VALUE, got `{pair}`"))?;
                args.fields.push((key.to_owned(), val.to_owned()));
            }
            "--wipe" => args.wipe = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            flag if flag.starts_with("--") => return Err(format!("unknown flag {flag}\n{USAGE}")),
            id if args.contact_id.is_none() => args.contact_id = Some(id.to_owned()),
            extra => return Err(format!("unexpected argument `{extra}`\n{USAGE}")),
        }
    }
    Ok(args)
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn show(title: &str, contact: &Contact) {
    println!("{title}");
    println!("  id:       {}", contact.id);
    println!("  name:     {}", contact.name.as_deref().unwrap_or("-"));
    println!(
        "  manager:  {}",
        contact.contact_manager.as_ref().map_or("-", |m| m.as_str())
    );
    for (key, value) in &contact.custom_fields {
        println!("  field:    {key} = {value}");
    }
    if contact.conflicting_fields.is_empty() {
        println!("  conflicts: none");
    }
    for conflict in &contact.conflicting_fields {
        println!(
            "  conflict: {} could also be {}",
            conflict.field, conflict.value
        );
    }
}

/// Connects to `ROCKETCHAT_URL`, or starts the fake and logs in as its demo agent.
async fn connect(
    args: &mut Args,
) -> Result<(Client, Option<FakeRocketChat>), Box<dyn std::error::Error>> {
    if env("ROCKETCHAT_URL").is_none() {
        let fake = FakeRocketChat::builder().demo_data().start().await?;
        println!(
            "ROCKETCHAT_URL is not set: using the embedded fake server at {}",
            fake.uri()
        );
        let client = Client::builder(fake.uri()).build()?;
        client
            .login(DemoData::AGENT_USERNAME, DemoData::AGENT_PASSWORD)
            .await?;
        args.contact_id
            .get_or_insert_with(|| DemoData::CONTACT_ID.to_owned());
        if !args.has_decision() {
            println!("no decision flags given: keeping the current values (--wipe)");
            args.wipe = true;
        }
        return Ok((client, Some(fake)));
    }
    if args.contact_id.is_none() || !args.has_decision() {
        return Err(
            format!("a contact id and at least one decision flag are needed\n{USAGE}").into(),
        );
    }
    let client = ClientBuilder::from_env()?.connect().await?;
    Ok((client, None))
}

async fn run(mut args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let (client, _fake) = connect(&mut args).await?;
    let contact_id = args.contact_id.clone().unwrap_or_default();

    let before = client.get_contact(contact_id.as_str()).await?;
    show("before:", &before);

    let mut request = client.resolve_contact_conflicts(contact_id.as_str());
    if let Some(name) = &args.name {
        request = request.name(name);
    }
    if let Some(manager) = &args.manager {
        request = request.contact_manager(manager.as_str());
    }
    if args.clear_manager {
        request = request.clear_contact_manager();
    }
    request = request.custom_fields(args.fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    if args.wipe {
        request = request.wipe_conflicts(true);
    }
    println!("sending: {}", request.to_json()?);
    let after = request.await?;
    show("after:", &after);

    // Ends a password session; a token given in the environment is only forgotten.
    client.logout().await?;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

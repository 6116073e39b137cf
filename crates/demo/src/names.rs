//! Fictional names: providers, services, streets and people. Built from generic English
//! place-name parts ("Heather" + "bank"), so that nothing is copied from CQC's register; a
//! name may still match a real home somewhere by coincidence, but never one in Northmoor,
//! which does not exist.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use std::collections::BTreeSet;

const FIRST: &[&str] = &[
    "Heather",
    "Bright",
    "Ash",
    "Oak",
    "Elm",
    "Rowan",
    "Holly",
    "Fern",
    "Moor",
    "Brook",
    "Green",
    "Fair",
    "Clear",
    "Stone",
    "Mill",
    "Birch",
    "Haw",
    "Lark",
    "Sun",
    "Silver",
    "Red",
    "White",
    "High",
    "Thorn",
    "Hazel",
    "Willow",
    "Beech",
    "Cedar",
    "Maple",
    "Alder",
    "Linden",
    "Bramble",
    "Primrose",
    "Bluebell",
    "Meadow",
    "Spring",
    "Kestrel",
    "Heron",
    "Wren",
    "Linnet",
    "Orchard",
    "Clover",
    "Bracken",
    "Ling",
    "Juniper",
    "Cherry",
    "Rose",
    "Ivy",
    "Laurel",
    "Pine",
    "Yew",
    "Elder",
    "Sorrel",
    "Thistle",
    "Harebell",
    "Foxglove",
    "Whin",
    "Gorse",
    "Lime",
    "Sedge",
    "Curlew",
    "Plover",
    "Swan",
    "Kingfisher",
    "Dove",
    "Finch",
    "Wood",
    "Glen",
    "Cliff",
    "Calder",
    "Tame",
    "Ridge",
    "Vale",
    "Fold",
    "Lynn",
    "Bank",
];

const SECOND: &[&str] = &[
    "bank", "well", "field", "croft", "lea", "dale", "mount", "view", "side", "wood", "gate", "hurst", "ley", "holme", "royd", "stead",
    "brook", "ford", "worth", "cliffe", "haven", "mere", "lands", "grove", "hill", "thorpe", "fold", "edge",
];

const TREES: &[&str] = &[
    "Larches",
    "Limes",
    "Beeches",
    "Elms",
    "Laurels",
    "Hollies",
    "Poplars",
    "Willows",
    "Cedars",
    "Rowans",
    "Firs",
    "Pines",
    "Sycamores",
    "Birches",
    "Maples",
    "Chestnuts",
    "Hawthorns",
    "Yews",
    "Oaks",
    "Alders",
    "Junipers",
    "Hazels",
    "Cherries",
    "Hornbeams",
    "Lindens",
];

const STREET_FIRST: &[&str] = &[
    "Larkspur",
    "Moorcock",
    "Tanners",
    "Weavers",
    "Kiln",
    "Spindle",
    "Loom",
    "Bobbin",
    "Carder",
    "Fulling",
    "Shuttle",
    "Quarrymans",
    "Lapwing",
    "Peewit",
    "Bilberry",
    "Cottongrass",
    "Whinberry",
    "Clough",
    "Gorsey",
    "Millstone",
    "Gritstone",
    "Packhorse",
    "Drovers",
    "Turnpike",
    "Beacon",
    "Cobblers",
    "Dyers",
    "Reedmace",
    "Cragside",
    "Foxhill",
    "Tenterfield",
    "Hatters",
    "Wheelwright",
    "Ropewalk",
    "Cheapside",
    "Chapelfold",
];

const STREET_KIND: &[&str] = &["Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive", "Grove", "Terrace", "Brow", "Fold", "Mews"];

/// Keeps every generated name unique within one generation run.
#[derive(Debug, Default)]
pub struct Names {
    compounds: BTreeSet<String>,
    services: BTreeSet<String>,
    providers: BTreeSet<String>,
}

impl Names {
    /// A compound place-like word ("Heatherbank"), preferring one not used before.
    pub fn compound(&mut self, rng: &mut StdRng) -> String {
        let mut last = String::new();
        for _ in 0..40 {
            let a = pick(rng, FIRST);
            let b = pick(rng, SECOND);
            if a.to_ascii_lowercase().ends_with(b) || a.to_ascii_lowercase() == b {
                continue;
            }
            let c = format!("{a}{b}");
            if self.compounds.insert(c.clone()) {
                return c;
            }
            last = c;
        }
        if last.is_empty() { format!("{}{}", pick(rng, FIRST), pick(rng, SECOND)) } else { last }
    }

    pub fn trees(&self, rng: &mut StdRng) -> &'static str {
        pick(rng, TREES)
    }

    /// A service name from `make`, unique in this run; after many clashes the name is
    /// qualified with a number (only at large scales).
    pub fn service(&mut self, rng: &mut StdRng, mut make: impl FnMut(&mut StdRng, &mut Names) -> String) -> String {
        unique(rng, self, |n| &mut n.services, &mut make)
    }

    pub fn provider(&mut self, rng: &mut StdRng, mut make: impl FnMut(&mut StdRng, &mut Names) -> String) -> String {
        unique(rng, self, |n| &mut n.providers, &mut make)
    }

    /// Claim a fixed name (in-house services); false if already taken.
    pub fn claim_service(&mut self, name: &str) -> bool {
        self.services.insert(name.to_string())
    }

    pub fn claim_provider(&mut self, name: &str) -> bool {
        self.providers.insert(name.to_string())
    }
}

fn unique(
    rng: &mut StdRng,
    names: &mut Names,
    set: fn(&mut Names) -> &mut BTreeSet<String>,
    make: &mut dyn FnMut(&mut StdRng, &mut Names) -> String,
) -> String {
    let mut base = String::new();
    for _ in 0..40 {
        let c = make(rng, names);
        if set(names).insert(c.clone()) {
            return c;
        }
        base = c;
    }
    let mut n = 2;
    loop {
        let c = format!("{base} {n}");
        if set(names).insert(c.clone()) {
            return c;
        }
        n += 1;
    }
}

/// A random element of a (non-empty, constant) list.
pub fn pick<T: Copy + Default>(rng: &mut StdRng, items: &[T]) -> T {
    items.choose(rng).copied().unwrap_or_default()
}

/// "14 Larkspur Way".
pub fn street_address(rng: &mut StdRng) -> String {
    format!("{} {} {}", rng.gen_range(1..=180), pick(rng, STREET_FIRST), pick(rng, STREET_KIND))
}

/// A phone number from Ofcom's ranges reserved for drama (0161 496 0000-0999 for Greater
/// Manchester; 01632 960000-960999 elsewhere), so no demo number rings anyone.
pub fn phone(rng: &mut StdRng, greater_manchester: bool) -> String {
    let n = rng.gen_range(0..1000);
    if greater_manchester { format!("0161 496 0{n:03}") } else { format!("01632 960{n:03}") }
}

/// A website on the reserved `.example` top-level domain (RFC 2606).
pub fn website(name: &str) -> String {
    let slug = caremarket_core::text::slug(name).replace("-ltd", "").replace('-', "");
    format!("https://www.{slug}.example")
}

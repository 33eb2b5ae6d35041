//! The order a person fetches the boxes of a pick list in: pure (paths in, groups out).
//!
//! Boxes are visited in [`WalkingOrder`] (room, rack, side, section, shelf). A run of
//! **mobile** racks (密集架: consecutive mobile racks of one room, in walking order) has
//! one aisle more than racks, and only one aisle of a run is open at a time: the aisle
//! between rack k and rack k+1 exposes rack k's B side and rack k+1's A side; the A side
//! of the run's first rack and the B side of its last rack face the aisles at the run's
//! two ends. So the boxes of a mobile run are grouped by the aisle that has to be opened
//! to reach them, each aisle comes once, in the run's order, and within an aisle the
//! boxes stand in walking order. A fixed rack is one group, in plain walking order.
//! Places that are no rack shelf (a safe, a drawer) are one group each.
//!
//! **Invariant:** the number of aisles a plan opens equals the number of distinct aisles
//! its boxes stand in: no aisle is opened twice.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::barcode::Barcode;
use crate::model::{ShelfPath, WalkingOrder};

/// A rack of a room, as the plan needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackInfo {
    /// Its path, e.g. `2号库房/01列`.
    pub path: String,
    /// Mobile dense shelving (`Location::mobile`).
    pub mobile: bool,
}

/// Where a group of a plan is fetched from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PickPlace {
    /// An aisle of a run of mobile racks: open it between `left`'s B side and `right`'s
    /// A side (one of them absent at the ends of the run).
    Aisle {
        /// The rack on the aisle's near side (its B side faces the aisle).
        left: Option<String>,
        /// The rack on the aisle's far side (its A side faces the aisle).
        right: Option<String>,
    },
    /// A fixed rack.
    Rack {
        /// Its path.
        rack: String,
    },
    /// Any other place (a safe, a drawer, a shelf outside the rack hierarchy).
    Other {
        /// Its path.
        path: String,
    },
}

/// One box to fetch and its shelf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickStop {
    /// The box.
    pub item: Barcode,
    /// The path of the place it stands at.
    pub path: String,
}

/// The boxes fetched at one place (an aisle, a fixed rack, a safe), in walking order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickGroup {
    /// The room (first segment of the path).
    pub room: String,
    /// Where.
    pub place: PickPlace,
    /// The boxes, in walking order.
    pub stops: Vec<PickStop>,
}

/// Each rack's position in its room and, for a mobile one, its run (start, index).
type RackPositions = BTreeMap<String, (u64, Option<(usize, usize)>)>;

/// A stop with where it stands: (room order, rank, other place order, box), room, place.
type Ranked<'a> = (
    (WalkingOrder, u64, WalkingOrder, Barcode),
    String,
    PickPlace,
    &'a PickStop,
);

/// Where a stop stands in the plan: room, place rank within the room, the place.
fn rank_of(
    path: &str,
    racks: &RackPositions,
    runs: &BTreeMap<String, Vec<String>>,
) -> (String, u64, PickPlace) {
    let room = path.split('/').next().unwrap_or_default().to_owned();
    let other = || {
        (
            room.clone(),
            u64::MAX,
            PickPlace::Other {
                path: path.to_owned(),
            },
        )
    };
    let Ok(shelf) = ShelfPath::parse(path) else {
        return other();
    };
    let Some((_, _, rack_path)) = shelf.levels().into_iter().nth(1) else {
        return other();
    };
    let Some((position, run)) = racks.get(&rack_path) else {
        return other();
    };
    match run {
        // A mobile rack at index `index` of a run starting at room position `start`:
        // its A side faces aisle `index`, its B side aisle `index + 1`.
        Some((start, index)) => {
            let aisle = if shelf.side == 'A' { *index } else { index + 1 };
            let members = runs.get(&format!("{room}\u{0}{start}"));
            let left = aisle
                .checked_sub(1)
                .and_then(|left| members.and_then(|m| m.get(left)).cloned());
            let right = members.and_then(|m| m.get(aisle)).cloned();
            // Aisles rank at even numbers, before the rack whose A side they expose.
            (
                room,
                2 * (*start + aisle) as u64,
                PickPlace::Aisle { left, right },
            )
        }
        None => (
            room,
            2 * position + 1,
            PickPlace::Rack {
                rack: rack_path.clone(),
            },
        ),
    }
}

/// The plan of `stops`: groups in the order they are walked to, each aisle of a mobile
/// run once. `racks` are the racks of the rooms the stops stand in (all of them, so that
/// runs are known: a rack with no box to fetch still separates two aisles).
pub fn plan(stops: &[PickStop], racks: &[RackInfo]) -> Vec<PickGroup> {
    // Each rack's position in its room and, for a mobile one, its run (start, index).
    let mut by_room: BTreeMap<String, Vec<&RackInfo>> = BTreeMap::new();
    for rack in racks {
        let room = rack.path.split('/').next().unwrap_or_default().to_owned();
        by_room.entry(room).or_default().push(rack);
    }
    let mut positions: RackPositions = BTreeMap::new();
    let mut runs: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (room, mut room_racks) in by_room {
        room_racks.sort_by_key(|rack| WalkingOrder::of(&rack.path));
        room_racks.dedup_by(|a, b| a.path == b.path);
        let mut run_start: Option<usize> = None;
        for (position, rack) in room_racks.iter().enumerate() {
            let run = if rack.mobile {
                let start = *run_start.get_or_insert(position);
                runs.entry(format!("{room}\u{0}{start}"))
                    .or_default()
                    .push(rack.path.clone());
                Some((start, position - start))
            } else {
                run_start = None;
                None
            };
            positions.insert(rack.path.clone(), (position as u64, run));
        }
    }
    let mut ranked: Vec<Ranked<'_>> = stops
        .iter()
        .map(|stop| {
            let (room, rank, place) = rank_of(&stop.path, &positions, &runs);
            let within = match &place {
                PickPlace::Other { path } => WalkingOrder::of(path),
                _ => WalkingOrder::of(""),
            };
            (
                (WalkingOrder::of(&room), rank, within, stop.item),
                room,
                place,
                stop,
            )
        })
        .collect();
    ranked.sort_by(|a, b| {
        (&a.0 .0, a.0 .1, &a.0 .2)
            .cmp(&(&b.0 .0, b.0 .1, &b.0 .2))
            .then_with(|| WalkingOrder::of(&a.3.path).cmp(&WalkingOrder::of(&b.3.path)))
            .then_with(|| a.0 .3.cmp(&b.0 .3))
    });
    let mut groups: Vec<PickGroup> = Vec::new();
    for (_, room, place, stop) in ranked {
        match groups.last_mut() {
            Some(group) if group.room == room && group.place == place => {
                group.stops.push(stop.clone())
            }
            _ => groups.push(PickGroup {
                room,
                place,
                stops: vec![stop.clone()],
            }),
        }
    }
    groups
}

/// How many aisles a plan opens (each of its aisle groups opens one).
pub fn aisle_openings(groups: &[PickGroup]) -> usize {
    groups
        .iter()
        .filter(|group| matches!(group.place, PickPlace::Aisle { .. }))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::Kind;
    use std::collections::BTreeSet;

    fn stop(seq: u64, path: &str) -> PickStop {
        PickStop {
            item: Barcode::new(Kind::Box, seq).expect("valid"),
            path: path.to_owned(),
        }
    }

    fn racks(room: &str, numbers: std::ops::RangeInclusive<u32>, mobile: bool) -> Vec<RackInfo> {
        numbers
            .map(|n| RackInfo {
                path: format!("{room}/{n:02}列"),
                mobile,
            })
            .collect()
    }

    /// The aisle a (mobile) rack side faces, by the model written in ARCHITECTURE.md,
    /// computed here independently: rack k (from 1) side A faces aisle k-1, side B aisle k.
    fn aisle_by_model(path: &str) -> (u32, u32) {
        let shelf = ShelfPath::parse(path).expect("shelf path");
        let aisle = if shelf.side == 'A' {
            shelf.rack - 1
        } else {
            shelf.rack
        };
        (shelf.rack, aisle)
    }

    #[test]
    fn a_mobile_run_opens_each_needed_aisle_once_in_walking_order_within() {
        // Racks 01–06 of 2号库房 are one mobile run: aisles 0..=6.
        let layout = racks("2号库房", 1..=6, true);
        let paths = [
            "2号库房/03列/A面/2节/1层",
            "2号库房/01列/B面/1节/3层",
            "2号库房/02列/A面/5节/5层",
            "2号库房/02列/A面/1节/2层",
            "2号库房/06列/B面/1节/1层",
            "2号库房/02列/B面/3节/1层",
            "2号库房/01列/A面/1节/1层",
            "2号库房/05列/B面/2节/2层",
            "2号库房/06列/A面/4节/4层",
        ];
        let stops: Vec<PickStop> = paths
            .iter()
            .enumerate()
            .map(|(n, path)| stop(n as u64 + 1, path))
            .collect();
        let groups = plan(&stops, &layout);
        let needed: BTreeSet<u32> = paths.iter().map(|p| aisle_by_model(p).1).collect();
        assert_eq!(needed, BTreeSet::from([0, 1, 2, 5, 6]));
        // Counted: aisle openings are exactly the distinct aisles needed, none twice.
        assert_eq!(aisle_openings(&groups), needed.len());
        let mut opened = Vec::new();
        for group in &groups {
            let aisles: BTreeSet<u32> = group
                .stops
                .iter()
                .map(|s| aisle_by_model(&s.path).1)
                .collect();
            assert_eq!(aisles.len(), 1, "one aisle per group: {group:?}");
            opened.extend(aisles);
            // Within an aisle: walking order.
            let mut sorted = group.stops.clone();
            sorted.sort_by_key(|s| WalkingOrder::of(&s.path));
            assert_eq!(group.stops, sorted);
        }
        assert_eq!(opened, needed.into_iter().collect::<Vec<_>>());
        // The aisle between 01 and 02 is labelled by its two racks.
        assert_eq!(
            groups[1].place,
            PickPlace::Aisle {
                left: Some("2号库房/01列".to_owned()),
                right: Some("2号库房/02列".to_owned()),
            }
        );
        assert_eq!(
            groups[0].place,
            PickPlace::Aisle {
                left: None,
                right: Some("2号库房/01列".to_owned()),
            }
        );
        assert_eq!(
            groups[4].place,
            PickPlace::Aisle {
                left: Some("2号库房/06列".to_owned()),
                right: None,
            }
        );
        let all: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.stops.iter().map(|s| s.path.as_str()))
            .collect();
        assert_eq!(
            all,
            [
                "2号库房/01列/A面/1节/1层",
                "2号库房/01列/B面/1节/3层",
                "2号库房/02列/A面/1节/2层",
                "2号库房/02列/A面/5节/5层",
                "2号库房/02列/B面/3节/1层",
                "2号库房/03列/A面/2节/1层",
                "2号库房/05列/B面/2节/2层",
                "2号库房/06列/A面/4节/4层",
                "2号库房/06列/B面/1节/1层",
            ]
        );
        // The input order does not matter.
        let mut reversed = stops.clone();
        reversed.reverse();
        assert_eq!(plan(&reversed, &layout), groups);
    }

    #[test]
    fn both_racks_facing_one_aisle_are_fetched_in_one_opening() {
        // Rack 02's B side and rack 03's A side share aisle 2: one opening for both.
        let layout = racks("1号库房", 1..=3, true);
        let stops = vec![
            stop(1, "1号库房/03列/A面/1节/1层"),
            stop(2, "1号库房/02列/B面/9节/5层"),
            stop(3, "1号库房/03列/B面/1节/1层"),
        ];
        let groups = plan(&stops, &layout);
        assert_eq!(aisle_openings(&groups), 2);
        assert_eq!(groups[0].stops.len(), 2);
    }

    #[test]
    fn fixed_racks_are_walked_plainly_and_runs_break_at_a_fixed_rack() {
        let mut layout = racks("3号库房", 1..=2, false);
        layout.extend(racks("3号库房", 3..=4, true));
        let paths = [
            "3号库房/02列/A面/1节/1层",
            "3号库房/01列/B面/2节/1层",
            "3号库房/01列/A面/3节/2层",
            "3号库房/04列/B面/1节/1层",
            "3号库房/03列/A面/1节/1层",
            "3号库房/保险柜1",
            "1号库房/01列/A面/1节/1层",
        ];
        let stops: Vec<PickStop> = paths
            .iter()
            .enumerate()
            .map(|(n, path)| stop(n as u64 + 1, path))
            .collect();
        let groups = plan(&stops, &layout);
        let all: Vec<&str> = groups
            .iter()
            .flat_map(|g| g.stops.iter().map(|s| s.path.as_str()))
            .collect();
        assert_eq!(
            all,
            [
                // 1号库房 has no rack known: its shelf is a place of its own.
                "1号库房/01列/A面/1节/1层",
                "3号库房/01列/A面/3节/2层",
                "3号库房/01列/B面/2节/1层",
                "3号库房/02列/A面/1节/1层",
                "3号库房/03列/A面/1节/1层",
                "3号库房/04列/B面/1节/1层",
                "3号库房/保险柜1",
            ]
        );
        assert_eq!(
            groups[1].place,
            PickPlace::Rack {
                rack: "3号库房/01列".to_owned()
            }
        );
        // Rack 03 starts a new run: its A side faces the run's first aisle (no left rack).
        assert_eq!(
            groups[3].place,
            PickPlace::Aisle {
                left: None,
                right: Some("3号库房/03列".to_owned()),
            }
        );
        assert_eq!(aisle_openings(&groups), 2);
    }
}

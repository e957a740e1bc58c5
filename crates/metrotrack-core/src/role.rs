//! Who may do what (SPEC §3): the role ladder every account and token climbs.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What an account may do (SPEC §3). `reader` < `technician` < `supervisor` < `admin`
/// within its own lab; `national` reads every lab and writes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads the lab's records and figures.
    Reader,
    /// Also imports logs (and amends the records it created).
    Technician,
    /// Also sets plans, amends any record and voids batches.
    Supervisor,
    /// Also manages users, tokens and categories.
    Admin,
    /// Reads across labs.
    National,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Reader,
        Role::Technician,
        Role::Supervisor,
        Role::Admin,
        Role::National,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reader => "reader",
            Self::Technician => "technician",
            Self::Supervisor => "supervisor",
            Self::Admin => "admin",
            Self::National => "national",
        }
    }

    /// Rank within a lab's ladder; `national` ranks as a reader (it writes nothing).
    pub fn rank(self) -> u8 {
        match self {
            Self::Reader | Self::National => 0,
            Self::Technician => 1,
            Self::Supervisor => 2,
            Self::Admin => 3,
        }
    }

    /// Whether this role may do what `needed` may (within its own lab).
    pub fn at_least(self, needed: Role) -> bool {
        self.rank() >= needed.rank()
    }

    /// Whether this role reads labs other than its own.
    pub fn reads_every_lab(self) -> bool {
        self == Self::National
    }

    /// Whether this role, acting as `actor`, may amend or void a record of its lab that
    /// `uploaded_by` uploaded (`None`: entered otherwise) and whose current version
    /// `amended_by` made: a supervisor or admin any record; a technician the records of
    /// batches it uploaded and those it amended; a reader or national account none.
    pub fn may_change_record(
        self,
        actor: &str,
        uploaded_by: Option<&str>,
        amended_by: Option<&str>,
    ) -> bool {
        match self {
            Self::Supervisor | Self::Admin => true,
            Self::Technician => uploaded_by == Some(actor) || amended_by == Some(actor),
            Self::Reader | Self::National => false,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A word that names no [`Role`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a role; use reader, technician, supervisor, admin or national")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let word = s.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == word)
            .ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl TryFrom<String> for Role {
    type Error = UnknownRole;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_climbs_and_national_writes_nothing() {
        assert!(Role::Admin.at_least(Role::Supervisor));
        assert!(Role::Technician.at_least(Role::Reader));
        assert!(!Role::Technician.at_least(Role::Supervisor));
        assert!(!Role::National.at_least(Role::Technician));
        assert!(Role::National.reads_every_lab());
        assert!(!Role::Admin.reads_every_lab());
    }

    #[test]
    fn roles_read_back_from_their_words() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert_eq!(" Admin ".parse::<Role>(), Ok(Role::Admin));
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn technicians_change_their_own_records_and_supervisors_any() {
        let may = |role: Role, uploaded: Option<&str>, amended: Option<&str>| {
            role.may_change_record("an", uploaded, amended)
        };
        assert!(may(Role::Technician, Some("an"), None));
        assert!(may(Role::Technician, Some("binh"), Some("an")));
        assert!(!may(Role::Technician, Some("binh"), None));
        assert!(!may(Role::Technician, None, Some("binh")));
        assert!(!may(Role::Technician, None, None));
        for role in [Role::Supervisor, Role::Admin] {
            assert!(may(role, Some("binh"), None));
            assert!(may(role, None, None));
        }
        for role in [Role::Reader, Role::National] {
            assert!(!may(role, Some("an"), Some("an")));
        }
    }
}

# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""mongodb_member_problems: the member list checked on the controller with the mongodb_replset module's own
checks, so that a set mongod would refuse is refused before anything changes on any host."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def mongodb_member_problems(members, this_member=None):
    # Imported here: Ansible imports every filter file of the collection in every task's worker to find any one
    # filter, and only the mongodb role needs these checks.
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.scalable.webstack.plugins.module_utils._mongodb_members import (
        InvalidMembers,
        normalize_member,
        validate_members,
    )

    if not isinstance(members, (list, tuple)):
        raise AnsibleFilterError("mongodb_member_problems takes the list of members")
    try:
        validate_members([normalize_member(member, index) for index, member in enumerate(members)], this_member)
    except InvalidMembers as error:
        return ["invalid members: %s" % error]
    return []


class FilterModule:
    def filters(self):
        return dict(mongodb_member_problems=mongodb_member_problems)

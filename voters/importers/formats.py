"""Every register layout we read, in the order they are tried against a file's headers."""

from voters.importers.halarose import Halarose, HalaroseUpdate
from voters.importers.idox import Idox, IdoxUpdate
from voters.importers.xpress import Xpress13, Xpress14, XpressUpdate

ADAPTERS = [Xpress14, Xpress13, Idox, Halarose, XpressUpdate, IdoxUpdate, HalaroseUpdate]

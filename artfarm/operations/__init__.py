"""Operations on a whole book once it is made: free disk, put it away, bring it back.

prune     delete the drafts no review kept and the variants not picked; manifests stay
unprune   bring a pruned image back: from the render cache, else re-rendered from its manifest
goldset   which files of a book are its gold (what an archive holds)
archive   `artfarm archive`: the gold set in one .tar.gz with a sha256 list inside
restore   `artfarm restore`: check every member and checksum first, then write in one rename
"""

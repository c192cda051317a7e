"""The NodeGroup controller: one NodeUnit per site and each site's health, including which grids are not
ready there. May import every layer below it: kube, protocol, sites, grids.
"""

"""Stores and products: the small reference profiles purchases point at."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from insights.generator.countries import COUNTRIES, country_index
from insights.generator.lookups import Lookups
from insights.generator.scales import Scale
from insights.generator.streams import stream, weighted
from insights.generator.text import dates, money, strings
from insights.generator.writers import csv_field, csv_header, csv_lines, write_lines

STORE_SHARE = {"GB": 0.70, "IE": 0.10, "FR": 0.08, "DE": 0.07, "NL": 0.05}
STORE_SITES = ("High Street", "Retail Park", "Shopping Centre", "Central", "Outlet", "Station",
               "Westgate", "Riverside", "Market Square", "Northgate", "Old Town", "Harbour")
ADJECTIVES = ("Classic", "Essential", "Premium", "Organic", "Everyday", "Vintage", "Deluxe", "Mini",
              "Pro", "Eco", "Soft-Touch", "Signature", "Original", "Studio", "Heritage")
PACKS = (", pack of 2", ", pack of 3", ", set of 4")
COLOURS = ("Navy", "Black", "Grey", "Oat", "Sage", "Rust", "White", "Blush")


@dataclass(frozen=True)
class Stores:
    """The store list; `country` indexes COUNTRIES, `traffic` is a relative footfall."""

    code: tuple[str, ...]
    name: tuple[str, ...]
    city: tuple[str, ...]
    country: np.ndarray
    opened_day: np.ndarray
    traffic: np.ndarray

    def in_country(self, ci: int) -> np.ndarray:
        return np.flatnonzero(self.country == ci)


@dataclass(frozen=True)
class Products:
    """The catalogue; prices in GBP cents, `popularity` drives what sells."""

    sku: pa.Array
    name: tuple[str, ...]
    category: tuple[str, ...]
    brand: tuple[str, ...]
    price_cents: np.ndarray
    popularity: np.ndarray


def make_stores(scale: Scale, seed: int, lk: Lookups) -> Stores:
    """Stores in the countries with shops (none in the US), busiest in big towns."""
    rng = stream(seed, "stores")
    counts = {iso: max(1, round(scale.stores * share)) for iso, share in STORE_SHARE.items()}
    counts["GB"] += scale.stores - sum(counts.values())
    code, name, city, country, opened, used = [], [], [], [], [], set()
    town_country = np.array(lk.towns.country)
    for iso, k in counts.items():
        pool = np.flatnonzero(town_country == iso)
        for t in pool[weighted(rng, lk.towns.weight[pool] ** 0.7, k)]:
            town = lk.towns.city[t]
            free = [str(s) for s in rng.permutation(STORE_SITES) if (town, str(s)) not in used]
            site = free[0] if free else f"{STORE_SITES[0]} {len(used)}"
            used.add((town, site))
            code.append(f"{iso}{len(code) + 1:03d}")
            name.append(f"{town} {site}")
            city.append(town)
            country.append(country_index(iso))
            opened.append(int(rng.integers(9_131, 19_700)))  # 1995 .. 2023
    return Stores(tuple(code), tuple(name), tuple(city), np.array(country, dtype=np.int8),
                  np.array(opened, dtype=np.int32), rng.lognormal(0, 0.5, len(code)))


def make_products(scale: Scale, seed: int, lk: Lookups) -> Products:
    """Products named '<brand> <adjective> <item>', priced within their item's range."""
    rng = stream(seed, "products")
    n = scale.products
    items = lk.items
    name, category, brand, price = [], [], [], []
    for i in rng.integers(0, len(items.item), n):
        cat = items.category[i]
        brands = [b for b, cats in lk.brands if cat in cats]
        b = brands[int(rng.integers(0, len(brands)))]
        label = f"{b} {ADJECTIVES[int(rng.integers(0, len(ADJECTIVES)))]} {items.item[i]}"
        u = rng.random()
        if u < 0.10:
            label += PACKS[int(rng.integers(0, len(PACKS)))]
        elif u < 0.25:
            label += f" - {COLOURS[int(rng.integers(0, len(COLOURS)))]}"
        pounds = items.min_price[i] + rng.random() * (items.max_price[i] - items.min_price[i])
        cents = int(pounds) * 100 + (99 if rng.random() < 0.7 else 49)
        name.append(label)
        category.append(cat)
        brand.append(b)
        price.append(cents)
    popularity = 1.0 / (1 + rng.permutation(n)) ** 0.8
    sku = strings([f"SKU{10_001 + i}" for i in range(n)])
    return Products(sku, tuple(name), tuple(category), tuple(brand), np.array(price, dtype=np.int64), popularity)


def write_catalog(out: Path, stores: Stores, products: Products) -> dict[str, int]:
    """catalog/stores/stores.csv and catalog/products/products.csv; returns rows per source."""
    store_fields = [
        strings(stores.code), strings(stores.name), strings(stores.city),
        strings([COUNTRIES[c].iso2 for c in stores.country]), dates(stores.opened_day, "%Y-%m-%d"),
    ]
    write_lines(out / "catalog/stores/stores.csv", csv_lines([csv_field(f) for f in store_fields]),
                csv_header(["store_code", "store_name", "city", "country", "opened"]))
    product_fields = [products.sku, strings(products.name), strings(products.category),
                      strings(products.brand), money(products.price_cents)]
    write_lines(out / "catalog/products/products.csv", csv_lines([csv_field(f) for f in product_fields]),
                csv_header(["sku", "product_name", "category", "brand", "price"]))
    return {"stores": len(stores.code), "products": len(products.name)}

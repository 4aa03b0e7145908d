"""The venues' menus as ordering publishes them (`MenuPublished` replaces a venue's whole
menu): what staff may add to a round when they amend it, at which price."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from convive.contracts import EventEnvelope, Money
from convive.contracts.base import LocalizedText
from convive.contracts.ordering import MenuPublished
from convive.pos_gateway.domain import MenuItem
from convive.pos_gateway.schema import metadata
from convive.runtime.projections import Projection

menu_products = sa.Table(
    "menu_products",
    metadata,
    sa.Column("venue_id", sa.Text, primary_key=True),
    sa.Column("product_id", sa.Text, primary_key=True),
    sa.Column("name", JSONB, nullable=False),
    sa.Column("price_minor", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.Text, nullable=False),
    sa.Column("available", sa.Boolean, nullable=False),
)

menus = Projection("pos_gateway.menus", tables=[menu_products])


@menus.on(MenuPublished)
async def on_menu_published(
    conn: AsyncConnection, event: MenuPublished, envelope: EventEnvelope
) -> None:
    # A venue's menu events come in order on one stream: the latest one is the menu.
    await conn.execute(menu_products.delete().where(menu_products.c.venue_id == event.venue_id))
    if event.products:
        await conn.execute(
            menu_products.insert(),
            [
                {
                    "venue_id": event.venue_id,
                    "product_id": product.product_id,
                    "name": product.name.model_dump(mode="json"),
                    "price_minor": product.price.amount_minor,
                    "currency": product.price.currency,
                    "available": product.available,
                }
                for product in event.products
            ],
        )


async def menu_items(
    conn: AsyncConnection, venue_id: str, product_ids: Iterable[str]
) -> dict[str, MenuItem]:
    """The venue's products among `product_ids`, as the POS last learnt them."""
    wanted = sorted(set(product_ids))
    if not wanted:
        return {}
    rows = (
        await conn.execute(
            sa.select(menu_products).where(
                menu_products.c.venue_id == venue_id, menu_products.c.product_id.in_(wanted)
            )
        )
    ).all()
    return {
        row.product_id: MenuItem(
            product_id=row.product_id,
            name=LocalizedText.model_validate(row.name),
            price=Money(amount_minor=row.price_minor, currency=row.currency),
            available=row.available,
        )
        for row in rows
    }
